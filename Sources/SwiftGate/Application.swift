import HTTPTypes

/// A web application served through SwiftGate.
///
/// The Swift counterpart of a WSGI `application`: the host (mod_swiftgate in
/// an Apache child, a SwiftGate daemon, or a test) builds a ``Request`` for
/// every HTTP request and sends back the ``Response`` this returns.
/// `respond(to:)` may be called for many requests at once.
public protocol Application: Sendable {
    /// Produces the response to one request.
    ///
    /// - Parameter request: The request, with its environ and streaming body.
    /// - Returns: The response: status, header fields and body.
    /// - Throws: Any error; the host answers 500 and logs the error.
    func respond(to request: Request) async throws -> Response

    /// Stops what the application started for its process: services, pools,
    /// schedulers, a framework's event loops.
    ///
    /// The host calls it once, after the application's last request, when
    /// the process ends in order: a daemon's graceful stop or recycling, an
    /// Apache child's exit. It is bounded by the host (a few seconds); a
    /// process that is killed never gets here. The default does nothing.
    func shutdown() async
}

extension Application {
    public func shutdown() async {}
}

/// An ``Application`` made from a closure.
public struct ApplicationFunction: Application {
    @usableFromInline
    let body: @Sendable (Request) async throws -> Response

    /// Wraps a closure as an application.
    ///
    /// - Parameter body: The closure that answers every request.
    public init(_ body: @escaping @Sendable (Request) async throws -> Response) {
        self.body = body
    }

    @inlinable
    public func respond(to request: Request) async throws -> Response {
        try await body(request)
    }
}
