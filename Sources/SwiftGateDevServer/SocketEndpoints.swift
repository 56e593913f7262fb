import Glibc

/// The numeric addresses and ports of a connected TCP socket.
enum SocketEndpoints {
    /// Both ends of `fd`: the server's (getsockname) and the client's
    /// (getpeername).
    static func of(_ fd: Int32) -> HTTPEnviron.Endpoints {
        let server = address(fd, getsockname)
        let remote = address(fd, getpeername)
        return HTTPEnviron.Endpoints(
            serverAddress: server.host,
            serverPort: server.port,
            remoteAddress: remote.host,
            remotePort: remote.port
        )
    }

    private static func address(
        _ fd: Int32,
        _ get: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> (host: String, port: UInt16) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { get(fd, $0, &length) }
        }
        guard rc == 0 else { return ("", 0) }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
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
        guard named == 0 else { return ("", 0) }
        var text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("::ffff:"), text.contains(".") { text = String(text.dropFirst(7)) }
        let port = UInt16(String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return (text, port ?? 0)
    }
}
