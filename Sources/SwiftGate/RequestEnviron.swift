/// The CGI/1.1 variables Apache computed for a request, with typed access to
/// the common ones.
///
/// Reading one variable does not build the whole dictionary; ``all`` does.
/// The framework adapters carry it in their request contexts (as
/// `SwiftGateEnviron`): copying it retains one object.
public struct RequestEnviron: Sendable {
    /// Holds the gateway's request, so that copying a context (the router
    /// and every middleware do) retains one object rather than each of the
    /// request's strings and stores.
    final class Storage: Sendable {
        let request: Request

        init(_ request: Request) {
            self.request = request
        }
    }

    private let storage: Storage

    /// The gateway's request; its body belongs to the framework's request.
    public var request: Request { storage.request }

    /// The environ of a gateway request.
    ///
    /// - Parameter request: The request as the host handed it over.
    public init(_ request: Request) {
        storage = Storage(request)
    }

    /// One variable by name, such as `"SERVER_NAME"` or `"swiftgate.process_group"`.
    ///
    /// - Parameter name: The variable's name.
    /// - Returns: Its value, or `nil` when the host did not set it.
    public subscript(_ name: String) -> String? {
        request.environValue(name)
    }

    /// Every variable, as a dictionary (built on first use).
    public var all: [String: String] { request.environ }

    /// The client's address (`REMOTE_ADDR`), after `SwiftGateTrustedProxies`.
    public var remoteAddress: String { request.remoteAddress }

    /// The client's port (`REMOTE_PORT`).
    public var remotePort: Int? { self["REMOTE_PORT"].flatMap { Int($0) } }

    /// The user Apache authenticated (`REMOTE_USER`), if any.
    public var remoteUser: String? { request.remoteUser }

    /// How Apache authenticated the user (`AUTH_TYPE`), such as `Basic`.
    public var authType: String? { self["AUTH_TYPE"] }

    /// `http` or `https`, as the client reached Apache.
    public var scheme: String { request.scheme }

    /// Whether the client reached Apache over TLS.
    public var isHTTPS: Bool { scheme == "https" }

    /// Where the application is mounted (`SCRIPT_NAME`, decoded): `""` at
    /// the site root.
    public var scriptName: String { request.scriptName }

    /// The path below the mount (`PATH_INFO`, decoded).
    public var pathInfo: String { request.pathInfo }

    /// The query string as the client sent it, without `?`.
    public var queryString: String { request.query }

    /// The request target as the client sent it (`REQUEST_URI`).
    public var requestURI: String { request.target }

    /// The server's name (`SERVER_NAME`).
    public var serverName: String? { self["SERVER_NAME"] }

    /// The server's port (`SERVER_PORT`).
    public var serverPort: Int? { self["SERVER_PORT"].flatMap { Int($0) } }

    /// The protocol the client spoke (`SERVER_PROTOCOL`), such as `HTTP/1.1`.
    public var serverProtocol: String? { self["SERVER_PROTOCOL"] }

    /// The daemon process group serving the request, `""` in embedded mode.
    public var processGroup: String? { self[EnvironKey.processGroup] }

    /// The application group the application instance belongs to.
    public var applicationGroup: String? { self[EnvironKey.applicationGroup] }
}
