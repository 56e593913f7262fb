import Vapor

extension Vapor.Request {
    /// What Apache knew about this request, reached as `req.swiftgate`.
    public var swiftgate: Gateway { Gateway(request: self) }

    /// SwiftGate's part of a Vapor request.
    public struct Gateway: Sendable {
        let request: Vapor.Request

        struct EnvironKey: StorageKey {
            typealias Value = SwiftGateEnviron
        }

        /// The CGI variables Apache computed for the request; `nil` for a
        /// request that did not come through SwiftGate.
        public var environ: SwiftGateEnviron? {
            request.storage[EnvironKey.self]
        }

        /// The user Apache authenticated (`REMOTE_USER`), if any.
        ///
        /// To have it in `req.auth`, add a ``RemoteUserAuthenticator``.
        public var remoteUser: String? { environ?.remoteUser }
    }
}
