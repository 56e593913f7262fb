import Hummingbird
import SwiftGate

/// Exports a Hummingbird router, built from the process's settings, as the
/// application of a library's callable object.
///
/// The factory runs once per process and application group, after Apache
/// (or the daemon) forked, so anything it starts belongs to that process:
///
/// ```swift
/// import Hummingbird
/// import SwiftGateHummingbird
///
/// @_cdecl("swiftgate_application")
/// public func application() -> UnsafeMutableRawPointer {
///     export { settings in
///         let router = Router(context: BasicSwiftGateRequestContext.self)
///         router.get("/hello") { _, _ in "Hello\n" }
///         return router
///     }
/// }
/// ```
///
/// - Parameter factory: Builds the router (or any responder builder); a
///   thrown error is logged by the host and the application answers 500.
/// - Returns: The pointer the callable object returns to the host.
public func export<Builder: HTTPResponderBuilder>(
    _ factory: @escaping @Sendable (Settings) async throws -> Builder
) -> UnsafeMutableRawPointer where Builder: SendableMetatype, Builder.Responder.Context: SwiftGateRequestContext {
    SwiftGate.export { settings in
        HummingbirdApplication(router: try await factory(settings))
    }
}

/// Exports a Hummingbird responder, built from the process's settings.
///
/// - Parameter factory: Builds the responder; a thrown error is logged by the
///   host and the application answers 500.
/// - Returns: The pointer the callable object returns to the host.
public func export<Responder: HTTPResponder>(
    _ factory: @escaping @Sendable (Settings) async throws -> Responder
) -> UnsafeMutableRawPointer where Responder: SendableMetatype, Responder.Context: SwiftGateRequestContext {
    SwiftGate.export { settings in
        HummingbirdApplication(responder: try await factory(settings))
    }
}

/// Exports a Hummingbird application with services, built from the process's
/// settings.
///
/// What an application written for Hummingbird's own server starts as
/// `Application(router: router, services: [client])` is exported as
/// `HummingbirdApplication(router: router, services: [client])`: the services
/// start once per process, after the fork, and shut down gracefully when the
/// host stops (a daemon's graceful stop or recycling, an Apache child's exit).
///
/// - Parameter factory: Builds the application; a thrown error is logged by
///   the host and the application answers 500.
/// - Returns: The pointer the callable object returns to the host.
public func export<Responder: HTTPResponder>(
    _ factory: @escaping @Sendable (Settings) async throws -> HummingbirdApplication<Responder>
) -> UnsafeMutableRawPointer where Responder: SendableMetatype, Responder.Context: SwiftGateRequestContext {
    SwiftGate.export { settings in try await factory(settings) }
}
