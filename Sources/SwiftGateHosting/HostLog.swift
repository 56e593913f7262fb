import CSwiftGate
import Glibc

/// A host's log (the daemon's, the development server's): the log function
/// of the host that started it (Apache's error log, or the command line's
/// stderr), with every line prefixed by the process group.
package struct HostLog: @unchecked Sendable {
    /// The host services given to applications too.
    package let host: UnsafePointer<swiftgate_host>
    /// `daemon group 'NAME': `, or `daemon: ` without a group.
    package let prefix: String

    /// Makes a log over `host`, or over ``StderrLog`` when there is none.
    ///
    /// - Parameters:
    ///   - host: The host's services, or nil.
    ///   - processGroup: The group named in every line.
    package init(host: UnsafePointer<swiftgate_host>?, processGroup: String) {
        self.host = host ?? StderrLog.host
        self.prefix = processGroup.isEmpty ? "daemon: " : "daemon group '\(processGroup)': "
    }

    /// Writes one line with the group prefix.
    package func log(_ level: Int32, _ message: String) {
        raw(level, prefix + message)
    }

    package func error(_ message: String) { log(SWIFTGATE_LOG_ERR, message) }
    package func warning(_ message: String) { log(SWIFTGATE_LOG_WARNING, message) }
    package func info(_ message: String) { log(SWIFTGATE_LOG_INFO, message) }
    package func debug(_ message: String) { log(SWIFTGATE_LOG_DEBUG, message) }

    /// Writes one line as it is.
    package func raw(_ level: Int32, _ message: String) {
        guard let function = host.pointee.log else { return }
        var message = message
        message.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) {
                function(host.pointee.ctx, level, $0.baseAddress, UInt64($0.count))
            }
        }
    }
}
