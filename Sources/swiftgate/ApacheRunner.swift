import CSwiftGate
import Glibc
import SwiftGateHosting

/// Runs a generated Apache in the foreground until SIGINT or SIGTERM, then
/// stops it and everything it started.
///
/// Apache runs in a process group of its own: a terminal's Ctrl-C reaches
/// this command alone, which asks Apache to stop (SIGTERM: Apache stops its
/// children and daemon processes), waits for it, and as a last resort kills
/// whatever is left in the group.
enum ApacheRunner {
    /// How long Apache may take to stop before the group is killed.
    static let stopLimitMilliseconds: UInt64 = 30_000

    /// Runs Apache with `-DFOREGROUND`.
    ///
    /// - Parameters:
    ///   - apache: The apache2 binary.
    ///   - configFile: The httpd.conf.
    /// - Returns: 0 after a stop asked for by a signal, else Apache's exit
    ///   status.
    /// - Throws: ``CommandFailure`` when Apache cannot start.
    static func run(apache: String, configFile: String) throws -> (status: Int32, stoppedBySignal: Bool) {
        let control = try SignalPipe.install()
        let pid = try Subprocess.spawn([apache, "-f", configFile, "-DFOREGROUND"], ownProcessGroup: true)
        var stopDeadline: UInt64?
        while true {
            var status: Int32 = 0
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid {
                sweep(group: pid)
                return (stopDeadline == nil ? Subprocess.exitStatus(status) : 0, stopDeadline != nil)
            }
            if done < 0, errno != EINTR {
                sweep(group: pid)
                return (1, stopDeadline != nil)
            }
            var fds = [pollfd(fd: control, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 100) > 0 {
                var byte: UInt8 = 0
                _ = read(control, &byte, 1)
                if stopDeadline == nil {
                    StderrLog.write(SWIFTGATE_LOG_NOTICE, "swiftgate express: stopping Apache (pid \(pid))")
                    kill(pid, SIGTERM)
                    stopDeadline = now() + stopLimitMilliseconds
                } else {
                    // A second Ctrl-C: no more waiting.
                    kill(-pid, SIGKILL)
                }
            }
            if let deadline = stopDeadline, now() > deadline {
                StderrLog.write(
                    SWIFTGATE_LOG_ERR,
                    "swiftgate express: Apache did not stop in time; killing its process group"
                )
                kill(-pid, SIGKILL)
            }
        }
    }

    /// Kills anything left in Apache's process group once Apache is gone.
    private static func sweep(group: pid_t) {
        if kill(-group, 0) == 0 {
            usleep(200_000)
            kill(-group, SIGKILL)
        }
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec) / 1_000_000
    }
}
