import SwiftGate

/// The executor stands for its host thread: work a framework posts runs in
/// the drain loop, between the request's jobs.
extension HostThreadExecutor: RequestThread {
    var isCurrent: Bool { isOnHostThread }

    func post(_ work: @escaping @Sendable () -> Void) -> Bool {
        enqueueCall(work)
    }
}
