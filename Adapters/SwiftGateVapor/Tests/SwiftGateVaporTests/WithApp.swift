import SwiftGateVapor
import SwiftGateVaporTestApp
import Vapor

/// Serves `body` with the test application, shutting it down after.
func withApp<T>(
    settings: [String: String] = [:],
    _ body: (VaporApplication) async throws -> T
) async throws -> T {
    let app = try await VaporApplication.make(
        settings: Settings(environment: settings),
        environment: .testing,
        configure: configure
    )
    do {
        let result = try await body(app)
        await app.shutdown()
        return result
    } catch {
        await app.shutdown()
        throw error
    }
}
