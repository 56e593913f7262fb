import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Gives the global pool back the jobs a serving thread took but stopped
/// running: a thread whose drain has not moved for ``interval`` while such
/// jobs wait (it is blocked, say on a semaphore waiting for one of those very
/// jobs, or busy in one long job) hands them over, and the pool runs them as
/// it would have without the hook. One thread per process watches, and only
/// while some serving thread holds such jobs.
enum GlobalJobWatch {
    /// How long a serving thread may hold global jobs without running any.
    static let interval: useconds_t = 5_000

    nonisolated(unsafe) private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        return mutex
    }()
    nonisolated(unsafe) private static let condition: UnsafeMutablePointer<pthread_cond_t> = {
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        pthread_cond_init(condition, nil)
        return condition
    }()
    /// Serving threads holding global jobs. Counted without the mutex:
    /// every request of a framework that starts a task per request comes
    /// by here, on every serving thread at once. Only the count's rise
    /// from zero takes the mutex, to wake the watcher; the watcher reads
    /// the count under the mutex before it waits, so that wake-up is never
    /// lost.
    private static let holders = Atomic<Int>(0)

    /// Starts the watching thread, once.
    private static let watcher: Void = {
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in GlobalJobWatch.watch() }, nil)
        pthread_detach(thread)
    }()

    /// A serving thread began holding global jobs.
    static func holding() {
        _ = watcher
        guard holders.add(1, ordering: .acquiringAndReleasing).oldValue == 0 else { return }
        pthread_mutex_lock(mutex)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// A serving thread holds no more global jobs.
    static func released() {
        holders.subtract(1, ordering: .acquiringAndReleasing)
    }

    private static func watch() -> Never {
        while true {
            pthread_mutex_lock(mutex)
            while holders.load(ordering: .acquiring) == 0 {
                pthread_cond_wait(condition, mutex)
            }
            pthread_mutex_unlock(mutex)
            usleep(interval)
            HostThreadExecutor.returnStalledGlobalJobs()
        }
    }
}
