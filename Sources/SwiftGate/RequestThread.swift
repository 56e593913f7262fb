/// The host thread a request's async code runs on, for libraries that must
/// run work there: the event loop a SwiftNIO-based framework binds its
/// request to, say.
///
/// Apache's hosts (embedded mode and the daemons) run each request's
/// nonisolated async code on the worker thread that serves it. Work posted
/// here runs on that thread too, in order with the request's own jobs, so a
/// framework can complete its futures there instead of hopping to a thread
/// of its own and back. One object stands for one thread for the thread's
/// whole life (it serves request after request), so it can key a cache.
public protocol RequestThread: AnyObject, Sendable {
    /// Whether the caller runs on this thread.
    var isCurrent: Bool { get }

    /// Runs `work` on this thread after the work already queued there.
    ///
    /// - Parameter work: What to run; it must not block.
    /// - Returns: Whether the work was taken. `false` when the thread serves
    ///   no request now: the work is dropped and the caller runs it
    ///   elsewhere.
    func post(_ work: @escaping @Sendable () -> Void) -> Bool
}
