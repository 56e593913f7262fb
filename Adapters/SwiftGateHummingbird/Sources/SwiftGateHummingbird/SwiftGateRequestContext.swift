import Hummingbird
import Logging
import NIOCore

/// A Hummingbird request context that a SwiftGate host can make.
///
/// Every router served through ``export(_:)-(HTTPResponderBuilder)`` uses a
/// context of this kind. ``BasicSwiftGateRequestContext`` is the ready-made
/// one. An application with a context of its own changes only that context's
/// conformance and its initialiser's source; no route changes:
///
/// ```swift
/// struct AppContext: SwiftGateRequestContext {   // was: RequestContext
///     var coreContext: CoreRequestContextStorage
///     let environ: SwiftGateEnviron
///     var user: User?
///
///     init(source: Source) {                     // Source is SwiftGateRequestContextSource
///         coreContext = .init(source: source)
///         environ = source.environ
///     }
/// }
/// ```
///
/// Conforming contexts get ``remoteAddress`` (so Hummingbird's
/// `TracingMiddleware` sees the peer), ``remoteUser`` and ``scheme``.
public protocol SwiftGateRequestContext: RequestContext, RemoteAddressRequestContext
where Source == SwiftGateRequestContextSource {
    /// The CGI variables Apache computed for the request.
    var environ: SwiftGateEnviron { get }
}

extension SwiftGateRequestContext {
    /// The client's address and port, from `REMOTE_ADDR` and `REMOTE_PORT`.
    ///
    /// Behind `SwiftGateTrustedProxies` this is the client a trusted proxy
    /// named, not the proxy.
    public var remoteAddress: SocketAddress? {
        try? SocketAddress(ipAddress: environ.remoteAddress, port: environ.remotePort ?? 0)
    }

    /// The user Apache authenticated (`REMOTE_USER`), such as by
    /// `AuthType Basic` with `AuthBasicProvider swiftgate`.
    public var remoteUser: String? { environ.remoteUser }

    /// `http` or `https`, as the client reached Apache.
    public var scheme: String { environ.scheme }
}
