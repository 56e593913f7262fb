import Hummingbird
import Logging
import SwiftGate

/// What a ``SwiftGateRequestContext`` is made from: the request's environ and
/// its logger.
///
/// The counterpart of Hummingbird's `ApplicationRequestContextSource` for
/// requests that Apache (or a SwiftGate daemon) received: there is no NIO
/// channel, so what the connection would tell comes from the environ.
public struct SwiftGateRequestContextSource: RequestContextSource {
    /// The CGI variables of the request.
    public let environ: SwiftGateEnviron

    /// The request's logger: lines go to Apache's error log, with the
    /// request's `hb.request.id` (its SwiftGate id, as `request_id`).
    public let logger: Logger

    /// Creates a source.
    ///
    /// - Parameters:
    ///   - environ: The request's variables.
    ///   - logger: The request's logger.
    public init(environ: SwiftGateEnviron, logger: Logger) {
        self.environ = environ
        self.logger = logger
    }
}
