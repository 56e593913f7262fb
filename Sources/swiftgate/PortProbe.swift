import Glibc

/// Checks that a port is free before Apache is started on it, so the user
/// hears which port is taken instead of reading Apache's log.
enum PortProbe {
    /// Binds `host:port` for a moment.
    ///
    /// - Throws: ``CommandFailure`` saying the port is in use, or why it
    ///   cannot be bound.
    static func check(host: String, port: Int, option: String) throws {
        let fd: Int32
        do {
            fd = try ListenAddress.tcp(host: host, port: UInt16(port)).listen()
        } catch let failure as CommandFailure where failure.description.hasPrefix("address in use") {
            throw CommandFailure(
                "port \(port) on \(host) is in use: another server holds it; stop it or choose another \(option)"
            )
        }
        close(fd)
    }
}
