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
