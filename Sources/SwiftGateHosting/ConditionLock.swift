import Glibc

/// A pthread mutex with a condition variable.
///
/// The daemon's worker threads are plain pthreads, so it locks with
/// pthreads too; the mutex and condition live in their own allocation so
/// their addresses never move.
package final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    package init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the mutex held.
    package func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for a broadcast; call with the mutex held (inside `withLock`).
    package func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Waits for a broadcast or until `deadline` (monotonic milliseconds);
    /// call with the mutex held.
    package func wait(untilMonotonicMilliseconds deadline: UInt64) {
        var time = timespec(tv_sec: Int(deadline / 1000), tv_nsec: Int(deadline % 1000) * 1_000_000)
        pthread_cond_timedwait(condition, mutex, &time)
    }

    /// Wakes every waiter; call with the mutex held.
    package func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
