/// Code that runs around an application: it may change the request, answer
/// itself, or change the response.
///
/// Middleware is composed one way: a ``MiddlewareGroup`` wraps an
/// application, and the result is itself an ``Application``, the way WSGI
/// middleware wraps a WSGI `application`. To run work when the request is
/// over, register a finish hook on the request (``Request/onFinish(_:)``)
/// rather than relying on the response: the host runs the hooks exactly
/// once, whatever later code does.
public protocol Middleware: Sendable {
    /// Handles a request, usually by calling `next`.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - next: The rest of the chain.
    /// - Returns: The response.
    /// - Throws: What `next` throws, or an error of the middleware's own.
    func handle(_ request: Request, next: Responder) async throws -> Response
}

/// The rest of a middleware chain, as handed to ``Middleware/handle(_:next:)``.
public struct Responder: Sendable {
    let application: any Application

    /// Calls the rest of the chain.
    ///
    /// - Parameter request: The request to pass on.
    /// - Returns: Its response.
    /// - Throws: What the chain throws.
    public func callAsFunction(_ request: Request) async throws -> Response {
        try await application.respond(to: request)
    }
}

/// An application wrapped by one middleware: one link of the chain a
/// ``MiddlewareGroup`` folds into.
struct MiddlewareApplication: Application {
    let middleware: any Middleware
    let next: Responder

    init(_ middleware: any Middleware, wrapping application: any Application) {
        self.middleware = middleware
        self.next = Responder(application: application)
    }

    func respond(to request: Request) async throws -> Response {
        try await middleware.handle(request, next: next)
    }

    func shutdown() async {
        await next.application.shutdown()
    }
}

/// An ordered list of middleware that folds into one responder chain.
public struct MiddlewareGroup: Sendable {
    /// The middleware, outermost first.
    public var middleware: [any Middleware]

    /// Creates a group.
    ///
    /// - Parameter middleware: The middleware, outermost first.
    public init(_ middleware: [any Middleware] = []) {
        self.middleware = middleware
    }

    /// Adds a middleware inside the ones already in the group.
    ///
    /// - Parameter item: The middleware.
    public mutating func add(_ item: any Middleware) {
        middleware.append(item)
    }

    /// Wraps an application: the first middleware sees the request first.
    ///
    /// - Parameter application: The innermost application.
    /// - Returns: The chain.
    public func wrapping(_ application: any Application) -> any Application {
        middleware.reversed().reduce(application) { inner, outer in
            MiddlewareApplication(outer, wrapping: inner)
        }
    }
}
