import Glibc
import SwiftGateHosting

/// `serve --fastcgi systemd`: the listening socket a service manager
/// opened and passed (`LISTEN_FDS`, `LISTEN_PID`; systemd's socket units).
enum SocketActivation {
    /// The first passed descriptor (`SD_LISTEN_FDS_START`).
    static let firstDescriptor: Int32 = 3

    /// Takes the one passed socket and clears the variables, so that
    /// nothing started later believes it was passed sockets too.
    ///
    /// - Returns: The listening socket (close-on-exec) and what it is bound
    ///   to, for the log.
    /// - Throws: ``CommandFailure`` when no socket, or not exactly one
    ///   listening stream socket, was passed to this process.
    static func take() throws -> (fd: Int32, address: String) {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }),
            let countText = getenv("LISTEN_FDS").map({ String(cString: $0) })
        else {
            throw CommandFailure(
                "--fastcgi systemd: no socket was passed (LISTEN_FDS and LISTEN_PID are not set; "
                    + "start it from a socket unit)"
            )
        }
        guard pid_t(pidText) == getpid() else {
            throw CommandFailure("--fastcgi systemd: the passed sockets are for process \(pidText), not this one")
        }
        guard countText == "1" else {
            throw CommandFailure("--fastcgi systemd: \(countText) sockets were passed; give the socket unit one")
        }
        let fd = firstDescriptor
        var type: Int32 = 0
        var listening: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            throw CommandFailure("--fastcgi systemd: descriptor \(fd) is not a stream socket")
        }
        size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0, listening != 0 else {
            throw CommandFailure("--fastcgi systemd: descriptor \(fd) is not listening")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return (fd, "systemd:" + boundAddress(fd))
    }

    /// What a socket is bound to: `HOST:PORT` or a UNIX path.
    static func boundAddress(_ fd: Int32) -> String {
        switch SocketName.of(fd, getsockname) {
        case .unix(let path): "unix:" + path
        case .inet(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case nil: "fd \(fd)"
        }
    }
}
