import Glibc

/// Where `serve` listens: a UNIX socket path or a TCP host and port.
enum ListenAddress: CustomStringConvertible {
    case unix(String)
    case tcp(host: String, port: UInt16)

    /// Parses `unix:/path/to.sock`, `HOST:PORT` or `[IPv6]:PORT`.
    init(parsing text: String) throws {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw CommandFailure("bad address '\(text)': no socket path after unix:") }
            guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
                throw CommandFailure("bad address '\(text)': socket path too long")
            }
            self = .unix(path)
            return
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw CommandFailure("bad address '\(text)': use unix:/path/to.sock or HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]), port > 0 else {
            throw CommandFailure("bad address '\(text)': use unix:/path/to.sock or HOST:PORT (port 1-65535)")
        }
        self = .tcp(host: host, port: port)
    }

    var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// Binds and listens; returns the listening socket.
    func listen() throws -> Int32 {
        switch self {
        case .unix(let path): try Self.listenUnix(path)
        case .tcp(let host, let port): try Self.listenTCP(host: host, port: port)
        }
    }

    /// Removes the UNIX socket file after serving.
    func removeSocketFile() {
        if case .unix(let path) = self { unlink(path) }
    }

    private static func failure(_ what: String, _ address: String) -> CommandFailure {
        let code = errno
        if code == EADDRINUSE { return CommandFailure("address in use: \(address)") }
        return CommandFailure("cannot \(what) \(address): \(String(cString: strerror(code)))")
    }

    private static func listenUnix(_ path: String) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw CommandFailure("cannot listen on unix:\(path): the file exists and is not a socket")
            }
            // A socket nobody answers on is left over from an earlier run.
            let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            let live = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, length) == 0 }
            }
            close(probe)
            if live { throw CommandFailure("address in use: unix:\(path) (another server answers there)") }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("create a socket for", "unix:\(path)") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, Glibc.listen(fd, SOMAXCONN) == 0 else {
            let error = failure("listen on", "unix:\(path)")
            close(fd)
            throw error
        }
        return fd
    }

    private static func listenTCP(host: String, port: UInt16) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw CommandFailure("bad address '\(host):\(port)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let name = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("create a socket for", name) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0, Glibc.listen(fd, SOMAXCONN) == 0
        else {
            let error = failure("listen on", name)
            close(fd)
            throw error
        }
        return fd
    }
}
