import Glibc

/// A socket's own address or its peer's, as numbers (no name lookups).
package enum SocketName {
    /// What a socket is bound or connected to.
    package enum Address: Equatable {
        /// IPv4 or IPv6: the numeric host (an IPv4-mapped IPv6 address as
        /// IPv4) and the port.
        case inet(host: String, port: UInt16)
        /// A UNIX socket's path ("" when unnamed).
        case unix(String)
    }

    /// The address `get` (getsockname or getpeername) reports for `fd`.
    ///
    /// - Returns: The address, or nil when the call fails or the family is
    ///   another.
    package static func of(
        _ fd: Int32,
        _ get: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> Address? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { get(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_UNIX:
            let path = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { address in
                    withUnsafeBytes(of: address.pointee.sun_path) { raw in
                        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                }
            }
            return .unix(path)
        case AF_INET, AF_INET6:
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
            guard named == 0 else { return nil }
            var text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("::ffff:"), text.contains(".") { text = String(text.dropFirst(7)) }
            let port = UInt16(String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            return .inet(host: text, port: port ?? 0)
        default:
            return nil
        }
    }
}
