import CSwiftGate
import Glibc

/// A log of one line per message on stderr, with the local time and the
/// level: the command line's log, and the daemon's when its host gives none.
package enum StderrLog {
    /// Host services whose log is this one, for a daemon or an application
    /// hosted without Apache.
    nonisolated(unsafe) package static let host: UnsafePointer<swiftgate_host> = {
        let host = UnsafeMutablePointer<swiftgate_host>.allocate(capacity: 1)
        host.initialize(
            to: swiftgate_host(
                abi_version: SWIFTGATE_ABI_VERSION,
                struct_size: UInt32(MemoryLayout<swiftgate_host>.size),
                ctx: nil,
                log: { _, level, message, length in
                    guard let message else { return }
                    StderrLog.write(level, UnsafeRawBufferPointer(start: message, count: Int(length)))
                },
                metric_register: nil,
                metric_update: nil,
                log_level: SWIFTGATE_LOG_INFO,
                reserved: 0
            )
        )
        return UnsafePointer(host)
    }()

    /// Writes one line.
    ///
    /// - Parameters:
    ///   - level: A `SWIFTGATE_LOG_*` level.
    ///   - message: The line, without its newline.
    package static func write(_ level: Int32, _ message: String) {
        var message = message
        message.withUTF8 { write(level, UnsafeRawBufferPointer($0)) }
    }

    /// Writes one line in a single write(2), so lines of threads do not mix.
    static func write(_ level: Int32, _ message: UnsafeRawBufferPointer) {
        var line = Array("\(timestamp()) [\(name(of: level))] ".utf8)
        line.append(contentsOf: message)
        line.append(UInt8(ascii: "\n"))
        _ = line.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        let millis = now.tv_nsec / 1_000_000
        let text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text + "." + String(repeating: "0", count: millis < 10 ? 2 : millis < 100 ? 1 : 0) + String(millis)
    }

    private static func name(of level: Int32) -> String {
        switch level {
        case SWIFTGATE_LOG_EMERG: "emerg"
        case SWIFTGATE_LOG_ALERT: "alert"
        case SWIFTGATE_LOG_CRIT: "crit"
        case SWIFTGATE_LOG_ERR: "error"
        case SWIFTGATE_LOG_WARNING: "warning"
        case SWIFTGATE_LOG_NOTICE: "notice"
        case SWIFTGATE_LOG_INFO: "info"
        default: "debug"
        }
    }
}
