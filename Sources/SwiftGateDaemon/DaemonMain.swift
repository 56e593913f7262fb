import CSwiftGate
import Glibc
import SwiftGateHosting

/// `swiftgate_daemon_main`: serves FastCGI on `config.listen_fd` until the
/// daemon is stopped or recycles, then returns its exit status.
///
/// mod_swiftgate calls it in each daemon process it forks, after dropping
/// privileges. Called once per process. When `control_fd` is set the daemon
/// also stops if its parent (Apache) exits.
///
/// - Parameter config: The daemon's configuration (see swiftgate.h).
/// - Returns: `SWIFTGATE_DAEMON_EXIT_OK`, or `SWIFTGATE_DAEMON_EXIT_FAILED`
///   when the daemon could not serve at all, or
///   `SWIFTGATE_DAEMON_EXIT_STARTUP` when preloading passed
///   startup-timeout. A request past request-timeout exits the process with
///   `SWIFTGATE_DAEMON_EXIT_TIMEOUT` instead of returning.
@_cdecl("swiftgate_daemon_main")
public func swiftgate_daemon_main(_ config: UnsafePointer<swiftgate_daemon_config>?) -> Int32 {
    guard let config else { return SWIFTGATE_DAEMON_EXIT_FAILED }
    return DaemonEntry.run(config, watchesParent: config.pointee.control_fd >= 0)
}

/// The daemon's entry for hosts written in Swift that link this module.
package enum DaemonEntry {
    /// Runs a daemon as `swiftgate_daemon_main` does.
    ///
    /// The command line uses this to keep serving when the shell that
    /// started it goes away: its control pipe only carries signals.
    ///
    /// - Parameters:
    ///   - config: The daemon's configuration (see swiftgate.h).
    ///   - watchesParent: Whether to stop when the parent process exits.
    /// - Returns: The exit status, as for `swiftgate_daemon_main`.
    package static func run(_ config: UnsafePointer<swiftgate_daemon_config>, watchesParent: Bool) -> Int32 {
        guard var configuration = DaemonConfiguration(config) else {
            HostLog(host: nil, processGroup: "").error(
                "swiftgate_daemon_config of \(config.pointee.struct_size) bytes, "
                    + "\(MemoryLayout<swiftgate_daemon_config>.size) expected: host and daemon disagree on the ABI"
            )
            return SWIFTGATE_DAEMON_EXIT_FAILED
        }
        configuration.watchesParent = watchesParent
        if !configuration.allowsRoot, getuid() == 0 || geteuid() == 0 {
            HostLog(host: configuration.host, processGroup: configuration.processGroup).error(
                "refusing to run applications as root (uid \(getuid()), euid \(geteuid())): "
                    + "the host must switch to an unprivileged user first"
            )
            return SWIFTGATE_DAEMON_EXIT_FAILED
        }
        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: configuration)
        } catch {
            HostLog(host: configuration.host, processGroup: configuration.processGroup)
                .error("cannot start: \(error)")
            return SWIFTGATE_DAEMON_EXIT_FAILED
        }
        return daemon.run()
    }
}
