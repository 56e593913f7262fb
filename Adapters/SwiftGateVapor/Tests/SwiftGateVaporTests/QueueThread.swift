import Dispatch
import SwiftGate
import Synchronization

/// A ``SwiftGate/RequestThread`` played by a serial queue, as Apache's hosts
/// play it with the serving thread: posted work runs on the queue while
/// ``serving`` is true and is refused after.
final class QueueThread: RequestThread {
    private let queue = DispatchQueue(label: "SwiftGateVaporTests.QueueThread")
    private let key = DispatchSpecificKey<Bool>()
    /// Whether the thread serves a request now.
    let serving = Mutex(true)
    /// How much work was posted and taken.
    let posted = Atomic(0)

    init() {
        queue.setSpecific(key: key, value: true)
    }

    var isCurrent: Bool { DispatchQueue.getSpecific(key: key) == true }

    func post(_ work: @escaping @Sendable () -> Void) -> Bool {
        guard serving.withLock({ $0 }) else { return false }
        posted.add(1, ordering: .relaxed)
        queue.async(execute: work)
        return true
    }
}
