import Glibc

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
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard got == 0 else { return "fd \(fd)" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        switch Int32(storage.ss_family) {
        case AF_UNIX:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { address in
                    withUnsafeBytes(of: address.pointee.sun_path) { raw in
                        "unix:" + String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                }
            }
        case AF_INET, AF_INET6:
            let named = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo(
                        $0,
                        length,
                        &host,
                        socklen_t(host.count),
                        &service,
                        socklen_t(service.count),
                        NI_NUMERICHOST | NI_NUMERICSERV
                    )
                }
            }
            guard named == 0 else { return "fd \(fd)" }
            let hostText = String(
                decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self
            )
            let serviceText = String(
                decoding: service.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
                as: UTF8.self
            )
            return hostText.contains(":") ? "[\(hostText)]:\(serviceText)" : "\(hostText):\(serviceText)"
        default:
            return "fd \(fd)"
        }
    }
}
