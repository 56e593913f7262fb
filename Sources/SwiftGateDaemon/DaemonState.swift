import CSwiftGate
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
        /// Its FastCGI connection, watched for the front-end giving up.
        var fd: Int32
        /// Its number in the process (1 for the first): who it is, for a
        /// decision made on a copy.
        var number: UInt64
        /// Whether its body has been read to the end: then anything the
        /// connection receives is the front-end giving up.
        var bodyEnded = false
        /// How to cancel its task, while `swiftgate_handle` runs.
        var cancellable: Cancellable?
        /// Why and when its task was cancelled.
        var cancelled: (reason: CancelReason, at: UInt64)?
    }

    /// Why a request's task was cancelled.
    enum CancelReason: Equatable {
        case requestTimeout
        case clientGone
    }

    /// A running `swiftgate_handle` call, as `swiftgate_cancel` names it.
    struct Cancellable: @unchecked Sendable {
        let cancel: swiftgate_cancel_fn
        let application: UnsafeMutableRawPointer
        let request: UnsafePointer<swiftgate_request>
    }

    /// What asking for a cancellation did.
    enum CancelOutcome {
        /// The task was told.
        case cancelled
        /// The request runs in a library without `swiftgate_cancel`, or
        /// outside `swiftgate_handle`: noted, but nothing could be told.
        case notCancellable
        /// The request is over, or was cancelled already.
        case gone
    }

    private let lock = ConditionLock()
    private var slots: [Running?]
    private var requestsStarted: UInt64 = 0
    private var lastActivity: UInt64
    private var lastAccept: UInt64
    private var workersAlive = 0
    private var stopReason: String?
    private var drainRequested = false
    private var stopStatus = SWIFTGATE_DAEMON_EXIT_OK
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

    /// Whether the daemon drains (accepts until idle, then exits) or has
    /// stopped accepting: its health path answers 503 from then on.
    var isLeaving: Bool { lock.withLock { drainRequested || stopReason != nil } }

    /// Notes that a drain began.
    func noteDraining() {
        lock.withLock { drainRequested = true }
    }

    /// Why the daemon is stopping, once it is.
    var reason: String? { lock.withLock { stopReason } }

    /// The exit status the stop asked for.
    var exitStatus: Int32 { lock.withLock { stopStatus } }

    /// Stops accepting, if not yet stopping, and sets when running requests
    /// are given up on (the earlier of this and any deadline already set).
    ///
    /// - Returns: Whether this call started the stop.
    @discardableResult
    func stop(reason: String, waitMilliseconds: UInt64, status: Int32 = SWIFTGATE_DAEMON_EXIT_OK) -> Bool {
        lock.withLock {
            let deadline = PosixClock.monotonicMilliseconds() &+ waitMilliseconds
            stopDeadline = min(stopDeadline, deadline)
            guard stopReason == nil else {
                lock.broadcast()
                return false
            }
            stopReason = reason
            stopStatus = status
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
    func begin(slot: Int, method: String, uri: String, fd: Int32) -> UInt64 {
        lock.withLock {
            let now = PosixClock.monotonicMilliseconds()
            requestsStarted += 1
            slots[slot] = Running(started: now, method: method, uri: uri, fd: fd, number: requestsStarted)
            lastActivity = now
            return requestsStarted
        }
    }

    /// Notes that `slot`'s request is over.
    ///
    /// - Returns: Why its task was cancelled, if it was.
    @discardableResult
    func end(slot: Int) -> CancelReason? {
        lock.withLock {
            let reason = slots[slot]?.cancelled?.reason
            slots[slot] = nil
            lastActivity = PosixClock.monotonicMilliseconds()
            return reason
        }
    }

    /// Notes that `slot`'s request body has been read to its end.
    func noteBodyEnded(slot: Int) {
        lock.withLock { slots[slot]?.bodyEnded = true }
    }

    /// Sets (before `swiftgate_handle`) or clears (after it returned) how
    /// `slot`'s request can be cancelled. Clearing waits for a cancellation
    /// under way, so one never reaches the next request.
    func setCancellable(slot: Int, _ cancellable: Cancellable?) {
        lock.withLock { slots[slot]?.cancellable = cancellable }
    }

    /// Why `slot`'s request was cancelled, if it was.
    func cancelReason(slot: Int) -> CancelReason? {
        lock.withLock { slots[slot]?.cancelled?.reason }
    }

    /// Cancels the task of request `number`, if it still runs on `slot`
    /// and was not cancelled yet.
    func cancel(slot: Int, number: UInt64, reason: CancelReason) -> CancelOutcome {
        lock.withLock {
            guard var running = slots[slot], running.number == number, running.cancelled == nil else {
                return .gone
            }
            running.cancelled = (reason, PosixClock.monotonicMilliseconds())
            slots[slot] = running
            guard let handle = running.cancellable else { return .notCancellable }
            // Under the lock: the worker cannot clear the handle, return
            // from swiftgate_handle and start another request meanwhile.
            return handle.cancel(handle.application, handle.request) != 0 ? .cancelled : .notCancellable
        }
    }

    /// The numbers the monitor decides on.
    struct Snapshot {
        var running: Int
        /// The running requests, by worker slot.
        var requests: [(slot: Int, request: Running)]
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
                requests: slots.indices.compactMap { i in slots[i].map { (i, $0) } },
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
