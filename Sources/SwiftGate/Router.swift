import HTTPTypes

/// An application that dispatches on method and path.
///
/// Paths are matched against ``Request/routePath`` (the part below the
/// mount point), exactly. `HEAD` falls back to the `GET` route. An unknown
/// path answers 404; a known path with another method answers 405 with an
/// `Allow` field.
public struct Router: Application {
    public typealias Handler = @Sendable (Request) async throws -> Response

    private var routes: [String: [HTTPRequest.Method: Handler]] = [:]

    /// Creates an empty router.
    public init() {}

    /// Adds a route.
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - path: The exact path below the mount point, starting with `/`.
    ///   - handler: What answers it.
    public mutating func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        precondition(path.hasPrefix("/"), "route paths start with '/': \(path)")
        routes[path, default: [:]][method] = handler
    }

    /// Adds a `GET` route; see ``on(_:_:_:)``.
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        on(.get, path, handler)
    }

    /// Adds a `POST` route; see ``on(_:_:_:)``.
    public mutating func post(_ path: String, _ handler: @escaping Handler) {
        on(.post, path, handler)
    }

    public func respond(to request: Request) async throws -> Response {
        guard let byMethod = routes[request.routePath] else {
            return .text("Not Found\n", status: .notFound)
        }
        if let handler = byMethod[request.method] ?? (request.method == .head ? byMethod[.get] : nil) {
            return try await handler(request)
        }
        let allowed = byMethod.keys.map(\.rawValue).sorted().joined(separator: ", ")
        var response = Response.text("Method Not Allowed\n", status: .methodNotAllowed)
        response.headerFields[.allow] = allowed
        return response
    }
}
