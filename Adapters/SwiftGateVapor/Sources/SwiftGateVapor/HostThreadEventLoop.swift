import Dispatch
import NIOCore
import SwiftGate
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An event loop that runs on the host thread serving a request.
///
/// Vapor completes a request's futures on the request's event loop. Given
/// one of the application's NIO loops, every callback hops to that loop's
/// thread and the answer hops back to the host thread: two thread switches
/// per future, tens of microseconds a request. This loop is the host thread
/// itself (``SwiftGate/RequestThread``): on it, `inEventLoop` is true and
/// callbacks run inline; work posted from elsewhere (a promise completed by
/// an async middleware's task) runs in the host's drain loop, between the
/// request's own jobs.
///
/// Timers run on a NIO loop (`timers`) and their work is brought back
/// here. Work posted while the thread serves no request (a callback that
/// outlived its request) runs on the timer loop instead, counted as on this
/// loop while it runs there.
final class HostThreadEventLoop: EventLoop, Sendable {
    /// The thread.
    let thread: any RequestThread

    /// The NIO loop that keeps the timers and runs late work.
    let timers: any EventLoop

    init(thread: any RequestThread, timers: any EventLoop) {
        self.thread = thread
        self.timers = timers
    }

    var inEventLoop: Bool {
        thread.isCurrent || LateWork.isRunning(for: self)
    }

    func execute(_ task: @escaping @Sendable () -> Void) {
        if thread.post(task) {
            return
        }
        timers.execute { [self] in
            LateWork.run(for: self, task)
        }
    }

    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise: EventLoopPromise<T> = makePromise()
        let cancelled = CancelFlag()
        let timer = timers.scheduleTask(deadline: deadline) { [self] in
            execute {
                guard !cancelled.isSet else { return }
                // Run by this loop (`execute`), so the promise is isolated
                // to it even when `T` is not Sendable.
                do {
                    promise.assumeIsolated().succeed(try task())
                } catch {
                    promise.fail(error)
                }
            }
        }
        return Scheduled(promise: promise) {
            cancelled.set()
            timer.cancel()
            promise.fail(EventLoopError.cancelled)
        }
    }

    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    /// The loop belongs to its thread and is never shut down.
    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        queue.async { callback(EventLoopError.unsupportedOperation) }
    }

    var description: String { "HostThreadEventLoop { timers: \(timers) }" }
}

/// Set once a scheduled task is cancelled: its work, already brought back
/// to the loop, then does not run.
private final class CancelFlag: Sendable {
    private let flag = Atomic(false)

    var isSet: Bool { flag.load(ordering: .acquiring) }

    func set() {
        flag.store(true, ordering: .releasing)
    }
}

/// Which ``HostThreadEventLoop``, if any, the calling thread runs late work
/// for.
private enum LateWork {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static func isRunning(for loop: HostThreadEventLoop) -> Bool {
        pthread_getspecific(key) == Unmanaged.passUnretained(loop).toOpaque()
    }

    static func run(for loop: HostThreadEventLoop, _ work: () -> Void) {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, Unmanaged.passUnretained(loop).toOpaque())
        defer { pthread_setspecific(key, previous) }
        work()
    }
}
