import Glibc

/// accept4(2), which Glibc's Swift module leaves out (it is a GNU
/// extension): looked up once in the C library, with accept(2) and fcntl as
/// the fallback.
package enum Acceptor {
    private typealias Accept4 =
        @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32)
        -> Int32

    private static let accept4: Accept4? = {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "accept4") else { return nil }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    /// Accepts a connection as a non-blocking, close-on-exec socket.
    ///
    /// - Returns: The socket, or -1 with `errno` set.
    package static func accept(_ listenFD: Int32) -> Int32 {
        if let accept4 {
            return accept4(listenFD, nil, nil, Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
        }
        let fd = Glibc.accept(listenFD, nil, nil)
        guard fd >= 0 else { return fd }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }
}
