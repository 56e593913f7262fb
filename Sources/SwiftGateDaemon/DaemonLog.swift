import CSwiftGate
import Glibc

/// The daemon's log: the host's log function (Apache's error log, or the
/// command line's stderr), with every line prefixed by the process group.
struct DaemonLog: @unchecked Sendable {
    /// The host services given to applications too.
    let host: UnsafePointer<swiftgate_host>
    /// `daemon group 'NAME': `, or `daemon: ` without a group.
    let prefix: String

    /// Makes a log over `host`, or over ``StderrLog`` when there is none.
    ///
    /// - Parameters:
    ///   - host: The host's services, or nil.
    ///   - processGroup: The group named in every line.
    init(host: UnsafePointer<swiftgate_host>?, processGroup: String) {
        self.host = host ?? StderrLog.host
        self.prefix = processGroup.isEmpty ? "daemon: " : "daemon group '\(processGroup)': "
    }

    /// Writes one line with the group prefix.
    func log(_ level: Int32, _ message: String) {
        raw(level, prefix + message)
    }

    func error(_ message: String) { log(SWIFTGATE_LOG_ERR, message) }
    func warning(_ message: String) { log(SWIFTGATE_LOG_WARNING, message) }
    func info(_ message: String) { log(SWIFTGATE_LOG_INFO, message) }
    func debug(_ message: String) { log(SWIFTGATE_LOG_DEBUG, message) }

    /// Writes one line as it is.
    func raw(_ level: Int32, _ message: String) {
        guard let function = host.pointee.log else { return }
        var message = message
        message.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) {
                function(host.pointee.ctx, level, $0.baseAddress, UInt64($0.count))
            }
        }
    }
}
