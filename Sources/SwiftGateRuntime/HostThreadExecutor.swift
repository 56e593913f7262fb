import CSwiftGateExecutor
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A task executor whose jobs run on one host thread: the Apache worker
/// thread that is serving the request.
///
/// `run(_:)` starts a task and then drains its jobs on the calling thread
/// until the task ends, so the request's async code, and with it every
/// call into httpd, stays on the thread httpd gave us. Work from other
/// threads reaches the host through ``perform(_:)``. One executor is kept
/// per host thread and reused.
///
/// A request's task is a plain task of Swift's global executor, not one
/// that prefers this executor: with a preference, every `await` into code
/// without an isolation of its own (a framework's, compiled without
/// SE-0461) makes the runtime look the preference up under the task's
/// lock. The global executor's hook (`sg_global_executor.h`) brings the
/// task's jobs here instead: its first one, and any this thread sends to
/// the global executor while a request runs (an unstructured `Task {}`, a
/// framework's per-request task), which then cost no trip to the global
/// pool and back; and the task's own jobs when another thread resumes it.
/// Such jobs run as the global executor runs them, so their `await`s do
/// not come back through the queue. A global job still queued when the
/// request ends goes to the global pool instead: work a request leaves
/// running never holds the host thread after it. Nor does a thread that
/// stops draining keep them: ``GlobalJobWatch`` hands them to the pool
/// after a few milliseconds (a request that blocks its thread until its own
/// `Task` has run still ends). Starting and stopping an application run
/// as a task that prefers this executor, and keep the global pool for the
/// work they start.
final class HostThreadExecutor: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        /// A job sent to the global executor: by this thread while it
        /// drains, or by another thread resuming the request's task.
        case global(UnownedJob)
        /// The request task's first job.
        case start(UnownedJob)
        case call(() -> Void)
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var queue: [Work] = []
    private var draining = false
    private var finished = false
    /// The request being served (the address of its `swiftgate_request`,
    /// 0 for none) and its task, for ``cancel(request:)``.
    private var request: UInt = 0
    private var task: Task<Void, Never>?
    /// Global jobs in the queue; work taken from the queue so far; and the
    /// latter when ``GlobalJobWatch`` last looked.
    private var globalJobs = 0
    private var taken: UInt64 = 0
    private var takenWhenWatched: UInt64 = .max
    /// Set while `run` makes the request's task: the next job this thread
    /// sends to the global executor is that task's first.
    private var startingTask = false
    /// This executor's claim on the request task it serves, for jobs of
    /// that task sent to the global executor from other threads.
    private var owner: OpaquePointer?
    /// The thread that drains; set by `run`.
    private(set) var thread: pthread_t

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        thread = pthread_self()
        queue.reserveCapacity(16)
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The executor of the calling thread, made on first use.
    static var current: HostThreadExecutor {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<HostThreadExecutor>.fromOpaque(existing).takeUnretainedValue()
        }
        let made = HostThreadExecutor()
        pthread_setspecific(key, Unmanaged.passRetained(made).toOpaque())
        all.withLock { $0.append(made) }
        return made
    }

    /// Every executor made, one per host thread that ever served: what
    /// ``cancel(request:)`` looks through. Host threads are few and long
    /// lived, so the list is short; serving a request never touches it.
    private static let all = Mutex<[HostThreadExecutor]>([])

    /// Cancels the task serving the request at `address`, from any thread.
    ///
    /// - Returns: Whether a host thread was serving that request.
    static func cancel(request address: UInt) -> Bool {
        let executors = all.withLock { $0 }
        for executor in executors {
            if let task = executor.task(serving: address) {
                // Outside every lock: cancellation handlers run here, and
                // may enqueue work on that very executor.
                task.cancel()
                return true
            }
        }
        return false
    }

    private func task(serving address: UInt) -> Task<Void, Never>? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return address != 0 && request == address ? task : nil
    }

    /// How many jobs and calls this executor has run; for tests.
    var jobsTaken: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return taken
    }

    /// Whether the caller is on the thread that drains this executor.
    var isOnHostThread: Bool { pthread_equal(pthread_self(), thread) != 0 }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        pthread_mutex_lock(mutex)
        if draining {
            queue.append(.job(unowned))
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        } else {
            // Nobody drains this thread now (a late job of a task that
            // prefers this executor: an application's start or stop, or
            // work they started): let the global pool run it.
            pthread_mutex_unlock(mutex)
            globalConcurrentExecutor.enqueue(unowned)
        }
    }

    /// Runs `call` on the host thread during the current drain.
    ///
    /// - Returns: false when no drain is running (the request is over).
    func enqueueCall(_ call: @escaping () -> Void) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard draining, !finished else { return false }
        queue.append(.call(call))
        pthread_cond_signal(condition)
        return true
    }

    /// Runs `body` on the host thread and returns its result.
    ///
    /// Directly when already there; otherwise it is handed to the drain loop.
    ///
    /// - Throws: ``HostThreadGone`` when the request is already over.
    func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        if isOnHostThread {
            return body()
        }
        return try await withCheckedThrowingContinuation { continuation in
            let posted = enqueueCall { continuation.resume(returning: body()) }
            if !posted {
                continuation.resume(throwing: HostThreadGone())
            }
        }
    }

    /// Takes a job bound for the global executor into the current drain.
    ///
    /// - Returns: false when no request is running (the job goes to the
    ///   global pool).
    private func acceptGlobal(_ job: UnownedJob) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard draining, !finished else { return false }
        if startingTask {
            // The request's own task: not work to hand back to the pool.
            startingTask = false
            queue.append(.start(job))
            return true
        }
        queue.append(.global(job))
        globalJobs += 1
        if globalJobs == 1 {
            GlobalJobWatch.holding()
        }
        pthread_cond_signal(condition)
        return true
    }

    /// Hands the global pool the global jobs of every serving thread that
    /// has taken no work since the last call (``GlobalJobWatch``).
    static func returnStalledGlobalJobs() {
        for executor in all.withLock({ $0 }) {
            for job in executor.stalledGlobalJobs() {
                // This thread drains nothing: the job goes to the pool.
                globalConcurrentExecutor.enqueue(job)
            }
        }
    }

    private func stalledGlobalJobs() -> [UnownedJob] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard globalJobs > 0, taken == takenWhenWatched else {
            takenWhenWatched = taken
            return []
        }
        var jobs: [UnownedJob] = []
        queue.removeAll { work in
            guard case .global(let job) = work else { return false }
            jobs.append(job)
            return true
        }
        globalJobs = 0
        GlobalJobWatch.released()
        return jobs
    }

    /// Installs the global executor's hook in this library, once.
    private static let globalHook: Void = sg_global_executor_install { drainer, job in
        guard let drainer, let job else { return false }
        let executor = Unmanaged<HostThreadExecutor>.fromOpaque(drainer).takeUnretainedValue()
        return executor.acceptGlobal(unsafeBitCast(job, to: UnownedJob.self))
    }

    /// How often, while the task waits, `run` asks whether the client has
    /// gone away: a request abandoned by its client is cancelled within
    /// about this long (and nothing is asked while jobs keep running).
    static let clientCheckMilliseconds = 250

    /// Runs `operation` as a task on this thread and returns its result,
    /// draining jobs until it ends.
    ///
    /// - Parameters:
    ///   - address: The request's `swiftgate_request` address, by which
    ///     ``cancel(request:)`` finds its task until it ends (0: none).
    ///   - clientGone: Asked on this thread while the task waits; when it
    ///     says yes, the task is cancelled (once).
    ///   - keepsGlobalJobs: Whether this is a request: its task is a plain
    ///     task whose jobs, and those this thread sends to the global
    ///     executor meanwhile, run here through the global executor's hook.
    ///     Otherwise (starting and stopping, where an application may start
    ///     long-lived work) the task prefers this executor and the global
    ///     pool keeps its own jobs.
    ///   - operation: The request's work.
    func run<T: Sendable>(
        request address: UInt = 0,
        clientGone: (() -> Bool)? = nil,
        keepsGlobalJobs: Bool = false,
        _ operation: @escaping @Sendable () async -> T
    ) -> T {
        // Written once by the task before it marks itself finished, read
        // once after the drain has seen that: no lock, and no class whose
        // generic deinit looks its metadata up per request.
        let slot = UnsafeMutablePointer<T?>.allocate(capacity: 1)
        slot.initialize(to: nil)
        defer {
            slot.deinitialize(count: 1)
            slot.deallocate()
        }
        nonisolated(unsafe) let result = slot
        pthread_mutex_lock(mutex)
        thread = pthread_self()
        draining = true
        finished = false
        // The task's first job reaches the global executor's hook while
        // the task is made, on this thread.
        startingTask = keepsGlobalJobs
        pthread_mutex_unlock(mutex)
        if keepsGlobalJobs {
            _ = Self.globalHook
            if owner == nil {
                owner = sg_task_owner_new(Unmanaged.passUnretained(self).toOpaque())
            }
            sg_global_executor_drain(Unmanaged.passUnretained(self).toOpaque())
        }

        let task: Task<Void, Never>
        if keepsGlobalJobs {
            task = Task {
                let value = await operation()
                result.pointee = value
                self.markFinished()
            }
            sg_task_owner_set(owner, unsafeBitCast(task, to: UnsafeMutableRawPointer.self))
        } else {
            task = Task(executorPreference: self) {
                let value = await operation()
                result.pointee = value
                self.markFinished()
            }
        }
        pthread_mutex_lock(mutex)
        startingTask = false
        if address != 0 {
            request = address
            self.task = task
        }
        pthread_mutex_unlock(mutex)
        drain(
            clientGone: clientGone.map { check in
                {
                    guard check() else { return false }
                    task.cancel()
                    return true
                }
            }
        )
        return slot.pointee!
    }

    /// Waits on the condition for at most ``clientCheckMilliseconds``, with
    /// the mutex held.
    ///
    /// - Returns: Whether the time ran out.
    private func waitBriefly() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var nanoseconds = Int(now.tv_nsec) + Self.clientCheckMilliseconds * 1_000_000
        var deadline = now
        deadline.tv_sec += nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        deadline.tv_nsec = nanoseconds
        return pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT
    }

    private func markFinished() {
        pthread_mutex_lock(mutex)
        finished = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Drains jobs until the task has finished.
    ///
    /// - Parameter clientGone: Called on this thread each time the queue
    ///   stayed empty for ``clientCheckMilliseconds``, until it returns true.
    private func drain(clientGone: (() -> Bool)? = nil) {
        let unownedSelf = asUnownedTaskExecutor()
        var askClient = clientGone
        pthread_mutex_lock(mutex)
        while true {
            while queue.isEmpty && !finished {
                guard let ask = askClient else {
                    pthread_cond_wait(condition, mutex)
                    continue
                }
                if waitBriefly() {
                    // The task has waited a while with nothing to run.
                    pthread_mutex_unlock(mutex)
                    let cancelled = ask()
                    pthread_mutex_lock(mutex)
                    if cancelled { askClient = nil }
                }
            }
            if queue.isEmpty {
                break
            }
            let work = queue.removeFirst()
            let over = finished
            taken &+= 1
            if case .global = work {
                globalJobs -= 1
                if globalJobs == 0 {
                    GlobalJobWatch.released()
                }
            }
            pthread_mutex_unlock(mutex)
            switch work {
            case .job(let job):
                job.runSynchronously(on: unownedSelf)
            case .global(let job) where over:
                // The request is over: work it left goes on elsewhere.
                sg_global_executor_drain(nil)
                globalConcurrentExecutor.enqueue(job)
            case .global(let job), .start(let job):
                sg_job_run_generic(unsafeBitCast(job, to: UnsafeMutableRawPointer.self))
            case .call(let call):
                call()
            }
            pthread_mutex_lock(mutex)
        }
        draining = false
        request = 0
        task = nil
        pthread_mutex_unlock(mutex)
        sg_global_executor_drain(nil)
        if let owner { sg_task_owner_set(owner, nil) }
    }
}

/// Thrown when code outside the host thread calls into a finished request.
struct HostThreadGone: Error, CustomStringConvertible {
    var description: String { "the request this call belongs to is over" }
}
