import NIOCore
import SwiftGate
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One ``HostThreadEventLoop`` per host thread, made on the thread's first
/// request and kept: host threads are few and live as long as the process.
///
/// Every request asks for its thread's loop, on that thread, from every
/// serving thread at once: a host thread finds its own loop in a
/// thread-specific slot, without a lock. The table behind it is only
/// locked to make a thread's loop and to answer a caller on another thread.
final class HostThreadEventLoops: Sendable {
    private let loops = Mutex<[ObjectIdentifier: HostThreadEventLoop]>([:])
    private let group: any EventLoopGroup
    /// The calling host thread's loop, unretained: `loops` keeps each one
    /// for as long as this object lives.
    private let slot: pthread_key_t

    /// - Parameter group: Where each loop's timers go (one NIO loop each).
    init(group: any EventLoopGroup) {
        self.group = group
        var slot = pthread_key_t()
        pthread_key_create(&slot, nil)
        self.slot = slot
    }

    deinit {
        pthread_key_delete(slot)
    }

    /// The loop of `thread`.
    func loop(for thread: any RequestThread) -> HostThreadEventLoop {
        let onThread = thread.isCurrent
        if onThread, let kept = pthread_getspecific(slot) {
            let loop = Unmanaged<HostThreadEventLoop>.fromOpaque(kept).takeUnretainedValue()
            if loop.thread === thread {
                return loop
            }
        }
        let loop = loops.withLock { loops in
            let key = ObjectIdentifier(thread)
            if let loop = loops[key] {
                return loop
            }
            let loop = HostThreadEventLoop(thread: thread, timers: group.next())
            loops[key] = loop
            return loop
        }
        if onThread {
            pthread_setspecific(slot, Unmanaged.passUnretained(loop).toOpaque())
        }
        return loop
    }
}
