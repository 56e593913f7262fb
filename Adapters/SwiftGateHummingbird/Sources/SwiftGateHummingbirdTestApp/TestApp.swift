import Glibc
import Hummingbird
import Logging
import ServiceLifecycle
import SwiftGateHummingbird

/// A service that says in the log when it starts and when it is asked to
/// stop, with its process id: the real-Apache tests check that it starts
/// in each serving process (never in Apache's parent) and stops when the
/// process ends in order.
struct LifecycleProbe: Service {
    let logger: Logger

    func run() async throws {
        logger.notice("probe service started in pid \(getpid())")
        try? await gracefulShutdown()
        logger.notice("probe service stopped in pid \(getpid())")
    }
}

/// The test router with the probe service beside it.
@_cdecl("swiftgate_application")
public func application() -> UnsafeMutableRawPointer {
    export { _ in
        var logger = Logger(label: "SwiftGateHummingbirdTestApp")
        logger.logLevel = .notice
        return HummingbirdApplication(router: makeRouter(), services: [LifecycleProbe(logger: logger)], logger: logger)
    }
}

/// The test router alone, as most applications export it.
@_cdecl("swiftgate_router")
public func routerOnly() -> UnsafeMutableRawPointer {
    export { _ in makeRouter() }
}
