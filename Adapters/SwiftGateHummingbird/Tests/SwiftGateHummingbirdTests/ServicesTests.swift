import Hummingbird
import Logging
import ServiceLifecycle
import SwiftGateHummingbird
import SwiftGateHummingbirdTestApp
import SwiftGateTesting
import Synchronization
import Testing

/// Records what happened to it.
final class RecordingService: Service {
    let events = Mutex<[String]>([])

    func run() async throws {
        events.withLock { $0.append("started") }
        try? await gracefulShutdown()
        events.withLock { $0.append("stopped") }
    }

    var recorded: [String] { events.withLock { $0 } }
}

@Suite("Services beside the router")
struct ServicesTests {
    @Test("services start with the application and stop at shutdown, after serving")
    func lifecycle() async throws {
        let first = RecordingService()
        let second = RecordingService()
        let app = HummingbirdApplication(router: makeRouter(), services: [first, second])
        for _ in 0..<200 where first.recorded.isEmpty || second.recorded.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(first.recorded == ["started"])
        #expect(second.recorded == ["started"])
        let response = try await app.test("/hello")
        #expect(response.status == .ok)
        await app.shutdown()
        #expect(first.recorded == ["started", "stopped"])
        #expect(second.recorded == ["started", "stopped"])
    }

    @Test("an application without services shuts down at once")
    func noServices() async throws {
        let app = HummingbirdApplication(router: makeRouter())
        await app.shutdown()
        #expect(try await app.test("/hello").status == .ok)
    }
}
