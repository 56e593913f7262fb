import HTTPTypes
import Logging

/// One HTTP request as the host hands it to an ``Application``.
///
/// The fields come from `environ`, the CGI/1.1 variables the host computed
/// for the request (under Apache, by httpd itself, so they match what
/// mod_cgi gives), plus `swiftgate.*` keys named in ``EnvironKey``.
public struct Request: Sendable {
    /// The request method.
    public var method: HTTPRequest.Method
    /// The request target as the client sent it: path and query, encoded.
    public var target: String
    /// The request header fields. `Authorization` is absent unless the host
    /// was told to pass it (`SwiftGatePassAuthorization On`).
    ///
    /// Built from the host's bytes on first use.
    public var headerFields: HTTPFields {
        get { headerStorage.all }
        set { headerStorage = HeaderFieldsStorage(newValue) }
    }
    private var headerStorage: HeaderFieldsStorage
    /// Where the application is mounted: `""` at the site root, else a path
    /// such as `/app` (decoded).
    public var scriptName: String
    /// The rest of the path below ``scriptName`` (decoded); `""` or `/…`.
    public var pathInfo: String
    /// The query string, still encoded, without the `?`.
    public var query: String
    /// The client's address.
    public var remoteAddress: String
    /// The authenticated user name, if the server authenticated the request.
    public var remoteUser: String?
    /// Every variable the host computed for the request.
    ///
    /// Built from the host's bytes on first use; reading a few keys through
    /// the fields above and ``environValue(_:)`` does not build it.
    public var environ: [String: String] {
        get { environStorage.all }
        set { environStorage = EnvironStorage(newValue) }
    }
    private var environStorage: EnvironStorage
    /// The request body, read on demand.
    public var body: RequestBody
    /// The logger and finish hooks shared by every copy of this request.
    public let context: RequestContext

    /// Creates a request from a host's environ.
    ///
    /// - Parameters:
    ///   - environ: CGI/1.1 variables plus `swiftgate.*` keys.
    ///   - headerFields: The request header fields.
    ///   - body: The body.
    ///   - context: The request's context; a new one by default.
    /// - Throws: ``RequestError`` when `REQUEST_METHOD` is missing or invalid.
    public init(
        environ: [String: String],
        headerFields: HTTPFields = [:],
        body: RequestBody = .empty,
        context: RequestContext = RequestContext()
    ) throws {
        try self.init(
            environ: EnvironStorage(environ),
            headers: HeaderFieldsStorage(headerFields),
            body: body,
            context: context
        )
    }

    /// Creates a request from a host's environ and header fields as it
    /// passed them.
    package init(
        environ storage: EnvironStorage,
        headers: HeaderFieldsStorage,
        body: RequestBody,
        context: RequestContext
    ) throws {
        guard let name = storage.value("REQUEST_METHOD"), let method = HTTPRequest.Method(name) else {
            throw RequestError.invalidMethod(storage.value("REQUEST_METHOD") ?? "")
        }
        self.method = method
        environStorage = storage
        headerStorage = headers
        self.body = body
        self.context = context
        scriptName = storage.value("SCRIPT_NAME") ?? ""
        pathInfo = storage.value("PATH_INFO") ?? ""
        query = storage.value("QUERY_STRING") ?? ""
        remoteAddress = storage.value("REMOTE_ADDR") ?? ""
        remoteUser = storage.value("REMOTE_USER").flatMap { $0.isEmpty ? nil : $0 }
        if let uri = storage.value("REQUEST_URI") {
            target = uri
        } else {
            target = scriptName + pathInfo + (query.isEmpty ? "" : "?" + query)
        }
    }

    /// The path the application routes on: ``pathInfo``, or `/` when empty.
    public var routePath: String { pathInfo.isEmpty ? "/" : pathInfo }

    /// The URL scheme, `http` or `https`.
    public var scheme: String { environValue(EnvironKey.urlScheme) ?? "http" }

    /// One environ variable, without building the whole ``environ``.
    ///
    /// - Parameter key: The variable's name.
    /// - Returns: Its value, or `nil`.
    public func environValue(_ key: String) -> String? {
        environStorage.value(key)
    }

    /// The request as a swift-http-types `HTTPRequest`.
    public var head: HTTPRequest {
        HTTPRequest(
            method: method,
            scheme: scheme,
            authority: environValue("HTTP_HOST") ?? environValue("SERVER_NAME"),
            path: target,
            headerFields: headerFields
        )
    }

    /// The request's logger.
    public var logger: Logger { context.logger }

    /// The decoded query parameters, in order.
    public var queryItems: [(name: String, value: String)] { FormDecoder.decode(query) }

    /// The first query parameter with the given name.
    ///
    /// - Parameter name: The parameter's name.
    /// - Returns: Its decoded value, or `nil` when absent.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Registers work to run once the request is over; see
    /// ``RequestContext/onFinish(_:)``.
    ///
    /// - Parameter hook: The work.
    public func onFinish(_ hook: @escaping @Sendable () async -> Void) async {
        await context.onFinish(hook)
    }
}

/// Why a host's description of a request was refused.
public enum RequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `REQUEST_METHOD` was missing or not a method token.
    case invalidMethod(String)

    public var description: String {
        switch self {
        case .invalidMethod(let m): "invalid request method '\(m)'"
        }
    }
}
