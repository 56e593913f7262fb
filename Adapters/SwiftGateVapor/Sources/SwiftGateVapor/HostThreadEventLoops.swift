import NIOCore
import SwiftGate
import Synchronization

/// One ``HostThreadEventLoop`` per host thread, made on the thread's first
/// request and kept: host threads are few and live as long as the process.
final class HostThreadEventLoops: Sendable {
    private let loops = Mutex<[ObjectIdentifier: HostThreadEventLoop]>([:])
    private let group: any EventLoopGroup

    /// - Parameter group: Where each loop's timers go (one NIO loop each).
    init(group: any EventLoopGroup) {
        self.group = group
    }

    /// The loop of `thread`.
    func loop(for thread: any RequestThread) -> HostThreadEventLoop {
        loops.withLock { loops in
            let key = ObjectIdentifier(thread)
            if let loop = loops[key] {
                return loop
            }
            let loop = HostThreadEventLoop(thread: thread, timers: group.next())
            loops[key] = loop
            return loop
        }
    }
}
