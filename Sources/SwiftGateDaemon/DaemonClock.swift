import Glibc

/// The daemon's clocks: monotonic milliseconds for durations, wall-clock
/// microseconds for the front-end's `swiftgate.request_start`.
enum DaemonClock {
    /// Milliseconds on the monotonic clock.
    static func monotonicMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }

    /// Microseconds since the Unix epoch.
    static func wallMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
