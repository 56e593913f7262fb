import Logging
import Synchronization

/// State shared by every copy of one ``Request``: its logger and finish hooks.
///
/// Finish hooks are owned by the host, not by the response: the host runs
/// them once the response has been sent or has failed, so a middleware that
/// drops or replaces a response cannot make them run twice or never.
public final class RequestContext: Sendable {
    /// The logger for this request; the host sends its lines to its error log.
    public let logger: Logger

    /// The host thread serving the request, when the host runs its async
    /// code on one (Apache's hosts do); `nil` elsewhere (tests, the
    /// development server).
    public let thread: (any RequestThread)?

    private let hooks = Mutex<[@Sendable () async -> Void]?>([])

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - logger: Where the request's log lines go.
    ///   - thread: The host thread serving the request, if there is one.
    public init(logger: Logger = Logger(label: "swiftgate"), thread: (any RequestThread)? = nil) {
        self.logger = logger
        self.thread = thread
    }

    /// Registers work to run once the request is over.
    ///
    /// Hooks run in the order they were added, exactly once, after the last
    /// body byte was handed to the host or the request failed. A hook added
    /// after the request finished runs at once.
    ///
    /// - Parameter hook: The work, such as releasing a database connection.
    public func onFinish(_ hook: @escaping @Sendable () async -> Void) async {
        let accepted = hooks.withLock { list -> Bool in
            guard list != nil else { return false }
            list!.append(hook)
            return true
        }
        if !accepted {
            await hook()
        }
    }

    /// Whether the request's finish hooks have run.
    public var isFinished: Bool {
        hooks.withLock { $0 == nil }
    }

    /// Runs the finish hooks; every call after the first does nothing.
    ///
    /// Hosts call this; applications use ``onFinish(_:)``.
    package func finish() async {
        let pending = hooks.withLock { list -> [@Sendable () async -> Void] in
            defer { list = nil }
            return list ?? []
        }
        for hook in pending {
            await hook()
        }
    }
}
