import Glibc
import SwiftGateHosting

/// What the worker threads and the monitor share: the running requests,
/// the counters recycling looks at, and the decision to stop.
///
/// Stopping writes one byte to the wake pipe and never reads it back, so
/// the pipe stays readable and every poll() that watches it returns: idle
/// workers stop accepting and idle keep-alive connections close at once.
final class DaemonState: @unchecked Sendable {
    /// A request being served by one worker.
    struct Running {
        var started: UInt64
        var method: String
        var uri: String
    }

    private let lock = ConditionLock()
    private var slots: [Running?]
    private var requestsStarted: UInt64 = 0
    private var lastActivity: UInt64
    private var lastAccept: UInt64
    private var workersAlive = 0
    private var stopReason: String?
    private var stopDeadline: UInt64 = .max
    private let wakeWrite: Int32
    /// Readable once the daemon stops accepting.
    let wakeRead: Int32

    /// Makes the state for `threads` workers.
    ///
    /// - Throws: A ``PosixError`` when the wake pipe cannot be made.
    init(threads: Int) throws(PosixError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .current }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        slots = Array(repeating: nil, count: threads)
        let now = PosixClock.monotonicMilliseconds()
        lastActivity = now
        lastAccept = now
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Whether the daemon has stopped accepting.
    var isStopping: Bool { lock.withLock { stopReason != nil } }

    /// Why the daemon is stopping, once it is.
    var reason: String? { lock.withLock { stopReason } }

    /// Stops accepting, if not yet stopping, and sets when running requests
    /// are given up on (the earlier of this and any deadline already set).
    ///
    /// - Returns: Whether this call started the stop.
    @discardableResult
    func stop(reason: String, waitMilliseconds: UInt64) -> Bool {
        lock.withLock {
            let deadline = PosixClock.monotonicMilliseconds() &+ waitMilliseconds
            stopDeadline = min(stopDeadline, deadline)
            guard stopReason == nil else {
                lock.broadcast()
                return false
            }
            stopReason = reason
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
            lock.broadcast()
            return true
        }
    }

    /// Notes an accepted connection (a drain waits for a quiet second).
    func noteAccepted() {
        lock.withLock { lastAccept = PosixClock.monotonicMilliseconds() }
    }

    /// Notes that `slot`'s worker starts serving a request.
    ///
    /// - Returns: The request's number (1 for the first), for the
    ///   maximum-requests check the caller makes.
    func begin(slot: Int, method: String, uri: String) -> UInt64 {
        lock.withLock {
            let now = PosixClock.monotonicMilliseconds()
            slots[slot] = Running(started: now, method: method, uri: uri)
            lastActivity = now
            requestsStarted += 1
            return requestsStarted
        }
    }

    /// Notes that `slot`'s request is over.
    func end(slot: Int) {
        lock.withLock {
            slots[slot] = nil
            lastActivity = PosixClock.monotonicMilliseconds()
        }
    }

    /// The numbers the monitor decides on.
    struct Snapshot {
        var running: Int
        var lastActivity: UInt64
        var lastAccept: UInt64
        /// The request that has run longest, if any.
        var oldest: Running?
        /// The request that started last, if any.
        var newest: Running?
    }

    /// A consistent view for the monitor.
    func snapshot() -> Snapshot {
        lock.withLock {
            let running = slots.compactMap { $0 }
            return Snapshot(
                running: running.count,
                lastActivity: lastActivity,
                lastAccept: lastAccept,
                oldest: running.min { $0.started < $1.started },
                newest: running.max { $0.started < $1.started }
            )
        }
    }

    /// Counts a worker thread in.
    func workerStarted() {
        lock.withLock { workersAlive += 1 }
    }

    /// Counts a worker thread out.
    func workerExited() {
        lock.withLock {
            workersAlive -= 1
            lock.broadcast()
        }
    }

    /// Where a stop stands: whether every worker has exited, and whether
    /// the deadline for running requests has passed.
    func stopProgress() -> (workersDone: Bool, deadlinePassed: Bool) {
        lock.withLock { (workersAlive == 0, PosixClock.monotonicMilliseconds() >= stopDeadline) }
    }

    /// How many requests are running now.
    var runningCount: Int { lock.withLock { slots.lazy.filter { $0 != nil }.count } }
}
