import Glibc
import SwiftGateHosting

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
        guard case .inet(let host, let port) = SocketName.of(fd, get) else { return ("", 0) }
        return (host, port)
    }
}
