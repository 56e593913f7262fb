import HTTPTypes

/// The response an ``Application`` returns: status, header fields and body.
///
/// Header fields are swift-http-types `HTTPFields`: a name must be a valid
/// token and a value's CR, LF and NUL bytes become spaces, so a Swift
/// application cannot split a response. The host checks again before it
/// writes anything.
public struct Response: Sendable {
    /// The status.
    public var status: HTTPResponse.Status
    /// The header fields. `Content-Length`, when set, must match the body.
    public var headerFields: HTTPFields
    /// The body: bytes, or a writer that streams them.
    public var body: ResponseBody

    /// Creates a response.
    ///
    /// - Parameters:
    ///   - status: The status; 200 by default.
    ///   - headerFields: The header fields.
    ///   - body: The body; empty by default.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: ResponseBody = .empty) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// A text response.
    ///
    /// - Parameters:
    ///   - text: The body, sent as UTF-8.
    ///   - status: The status; 200 by default.
    ///   - contentType: The media type; `text/plain; charset=utf-8` by default.
    /// - Returns: The response.
    public static func text(
        _ text: String,
        status: HTTPResponse.Status = .ok,
        contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(status: status, headerFields: [.contentType: contentType], body: ResponseBody(string: text))
    }

    /// An HTML response.
    ///
    /// - Parameters:
    ///   - html: The document, sent as UTF-8.
    ///   - status: The status; 200 by default.
    /// - Returns: The response.
    public static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        text(html, status: status, contentType: "text/html; charset=utf-8")
    }

    /// A redirect to another location (303 See Other by default).
    ///
    /// - Parameters:
    ///   - location: The target, absolute or relative.
    ///   - status: A 3xx status.
    /// - Returns: The response.
    public static func redirect(to location: String, status: HTTPResponse.Status = .seeOther) -> Response {
        Response(status: status, headerFields: [.location: location])
    }
}
