import HTTPTypes
import Logging

/// One HTTP request as the host hands it to an ``Application``.
///
/// A request is its environ: the CGI/1.1 variables the host computed for
/// the request (under Apache, by httpd itself, so they match what mod_cgi
/// gives), plus `swiftgate.*` keys named in ``EnvironKey``. ``method``,
/// ``target``, ``scriptName``, ``pathInfo``, ``query``, ``remoteAddress``
/// and ``remoteUser`` are read from the environ and written to it, the way
/// swift-http-types' `HTTPRequest` computes `path` from its pseudo-header
/// fields: a request never contradicts itself, so setting ``environ`` sets
/// ``pathInfo`` too, and setting ``pathInfo`` sets `PATH_INFO`.
public struct Request: Sendable {
    /// The environ, from which the properties above are read.
    private var environStorage: NameValueStorage
    private var headerStorage: HeaderFieldsStorage
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
            environ: NameValueStorage(environ),
            headers: HeaderFieldsStorage(headerFields),
            body: body,
            context: context
        )
    }

    /// Creates a request from a host's environ and header fields as it
    /// passed them.
    ///
    /// - Parameters:
    ///   - environ: CGI/1.1 variables plus `swiftgate.*` keys.
    ///   - headers: The request header fields.
    ///   - body: The body.
    ///   - context: The request's context.
    /// - Throws: ``RequestError`` when `REQUEST_METHOD` is missing or invalid.
    package init(
        environ: NameValueStorage,
        headers: HeaderFieldsStorage,
        body: RequestBody,
        context: RequestContext
    ) throws {
        guard Self.hasValidMethod(environ) else {
            throw RequestError.invalidMethod(environ.value(Key.method) ?? "")
        }
        environStorage = environ
        headerStorage = headers
        self.body = body
        self.context = context
    }

    /// The environ names the properties are read from.
    private enum Key {
        static let method = "REQUEST_METHOD"
        static let uri = "REQUEST_URI"
        static let scriptName = "SCRIPT_NAME"
        static let pathInfo = "PATH_INFO"
        static let query = "QUERY_STRING"
        static let remoteAddress = "REMOTE_ADDR"
        static let remoteUser = "REMOTE_USER"
    }

    private static func hasValidMethod(_ environ: NameValueStorage) -> Bool {
        environ.value(Key.method).flatMap { HTTPRequest.Method($0) } != nil
    }

    /// Sets one environ variable, or removes it when `value` is `nil`.
    private mutating func setEnviron(_ name: String, _ value: String?) {
        environStorage = environStorage.replacing(name, with: value)
    }

    /// The request method (`REQUEST_METHOD`).
    public var method: HTTPRequest.Method {
        // Valid: checked whenever the environ is made or replaced.
        get { HTTPRequest.Method(environStorage.value(Key.method)!)! }
        set { setEnviron(Key.method, newValue.rawValue) }
    }

    /// The request target as the client sent it: path and query, encoded
    /// (`REQUEST_URI`; when the host gave none, made from ``scriptName``,
    /// ``pathInfo`` and ``query``).
    public var target: String {
        get {
            if let uri = environStorage.value(Key.uri) { return uri }
            let query = query
            return scriptName + pathInfo + (query.isEmpty ? "" : "?" + query)
        }
        set { setEnviron(Key.uri, newValue) }
    }

    /// The request header fields. `Authorization` is absent unless the host
    /// was told to pass it (`SwiftGatePassAuthorization On`).
    ///
    /// Built from the host's bytes on first use.
    public var headerFields: HTTPFields {
        get { headerStorage.all }
        set { headerStorage = HeaderFieldsStorage(newValue) }
    }

    /// Where the application is mounted: `""` at the site root, else a path
    /// such as `/app` (decoded; `SCRIPT_NAME`).
    public var scriptName: String {
        get { environStorage.value(Key.scriptName) ?? "" }
        set { setEnviron(Key.scriptName, newValue) }
    }

    /// The rest of the path below ``scriptName`` (decoded; `PATH_INFO`):
    /// `""` or `/…`.
    public var pathInfo: String {
        get { environStorage.value(Key.pathInfo) ?? "" }
        set { setEnviron(Key.pathInfo, newValue) }
    }

    /// The query string, still encoded, without the `?` (`QUERY_STRING`).
    public var query: String {
        get { environStorage.value(Key.query) ?? "" }
        set { setEnviron(Key.query, newValue) }
    }

    /// The client's address (`REMOTE_ADDR`).
    public var remoteAddress: String {
        get { environStorage.value(Key.remoteAddress) ?? "" }
        set { setEnviron(Key.remoteAddress, newValue) }
    }

    /// The authenticated user name, if the server authenticated the request
    /// (`REMOTE_USER`; empty counts as none, and `nil` removes it).
    public var remoteUser: String? {
        get { environStorage.value(Key.remoteUser).flatMap { $0.isEmpty ? nil : $0 } }
        set { setEnviron(Key.remoteUser, newValue) }
    }

    /// Every variable the host computed for the request.
    ///
    /// Built from the host's bytes on first use; reading a few keys through
    /// the properties above and ``environValue(_:)`` does not build it. A
    /// new environ must hold a valid `REQUEST_METHOD`, as the host's does:
    /// setting one without it is a programming error and traps.
    public var environ: [String: String] {
        get { environStorage.all }
        set {
            let storage = NameValueStorage(newValue)
            precondition(Self.hasValidMethod(storage), "a request's environ needs a valid REQUEST_METHOD")
            environStorage = storage
        }
    }

    /// The path the application routes on: ``pathInfo``, or `/` when empty.
    public var routePath: String {
        let path = pathInfo
        return path.isEmpty ? "/" : path
    }

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

    /// The request's id (``EnvironKey/requestID``): the one Apache's log
    /// lines, the status page and crash reports show for it; empty when
    /// the host gave none.
    public var id: String { environValue(EnvironKey.requestID) ?? "" }

    /// The request's logger: every line carries the request's id as
    /// `request_id` metadata.
    public var logger: Logger {
        var logger = context.logger
        let id = self.id
        if !id.isEmpty {
            logger[metadataKey: "request_id"] = .string(id)
        }
        return logger
    }

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
