import Glibc

/// The hosts' clocks: monotonic milliseconds for durations and deadlines,
/// wall-clock microseconds for the front-end's `swiftgate.request_start`.
package enum PosixClock {
    /// Milliseconds on the monotonic clock.
    package static func monotonicMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }

    /// Microseconds since the Unix epoch.
    package static func wallMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
