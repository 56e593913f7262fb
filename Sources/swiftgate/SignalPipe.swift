import Glibc
import SwiftGateDaemon

/// The write end of the control pipe, for the signal handler.
nonisolated(unsafe) private var controlWriteFD: Int32 = -1

/// Turns SIGINT and SIGTERM into the daemon's stop byte on a pipe, whose
/// read end is the daemon's control_fd.
enum SignalPipe {
    /// Makes the pipe and installs the handlers; returns the read end.
    static func install() throws -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw CommandFailure("cannot make the control pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        controlWriteFD = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            // Only async-signal-safe calls here: write(2), and errno kept.
            let saved = errno
            var byte = ControlByte.stop
            _ = write(controlWriteFD, &byte, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        signal(SIGPIPE, SIG_IGN)
        return fds[0]
    }
}
