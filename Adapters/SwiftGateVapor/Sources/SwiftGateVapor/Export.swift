import SwiftGate
import Vapor

/// Exports a Vapor application as the application of a library's callable
/// object.
///
/// The `Vapor.Application` is made once per process and application group,
/// after Apache (or the daemon) forked; `configure` runs then, with the
/// process's settings at `app.swiftgate.settings`, and the application is
/// booted without starting its HTTP server. A Vapor project's usual
/// `configure(_:)` is passed as it is:
///
/// ```swift
/// import SwiftGateVapor
/// import Vapor
///
/// @_cdecl("swiftgate_application")
/// public func application() -> UnsafeMutableRawPointer {
///     export(configure)
/// }
///
/// func configure(_ app: Application) async throws {
///     app.databases.use(.sqlite(.file(app.swiftgate.settings.string("database.path", default: "db.sqlite"))), as: .sqlite)
///     try routes(app)
/// }
/// ```
///
/// - Parameters:
///   - environment: Vapor's environment; by default the settings'
///     `vapor.environment` (`VAPOR_ENVIRONMENT`), else `production`.
///   - configure: The application's configuration: routes, middleware,
///     services. A thrown error is logged by the host and the application
///     answers 500.
/// - Returns: The pointer the callable object returns to the host.
public func export(
    environment: Environment? = nil,
    _ configure: @escaping @Sendable (Vapor.Application) async throws -> Void
) -> UnsafeMutableRawPointer {
    SwiftGate.export { settings in
        try await VaporApplication.make(settings: settings, environment: environment, configure: configure)
    }
}
