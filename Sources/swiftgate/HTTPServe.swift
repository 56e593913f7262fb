import CSwiftGate
import Glibc
import SwiftGateDevServer
import SwiftGateHosting

/// `swiftgate serve --http ADDRESS`: the development server, which runs the
/// application in this process over HTTP/1.1 with no Apache.
enum HTTPServe {
    /// Parses ADDRESS: `HOST:PORT`, `[IPv6]:PORT`, or a bare port on the
    /// loopback address.
    static func address(_ text: String) throws -> (host: String, port: UInt16) {
        if let port = UInt16(text), port > 0 { return ("127.0.0.1", port) }
        guard case .tcp(let host, let port) = try ListenAddress(parsing: text) else {
            throw CommandFailure("--http takes HOST:PORT (or a port), not a UNIX socket")
        }
        return (host, port)
    }

    /// Serves `library` on `address` until SIGINT or SIGTERM.
    ///
    /// - Throws: ``CommandFailure`` for a port in use or an application
    ///   that does not start.
    static func run(
        address text: String,
        library: String,
        callable: String?,
        applicationGroup: String?,
        threads: UInt32,
        headTimeoutMilliseconds: Int32
    )
        throws
    {
        let (host, port) = try address(text)
        let listenFD: Int32
        do {
            listenFD = try ListenAddress.tcp(host: host, port: port).listen()
        } catch let failure as CommandFailure where failure.description.hasPrefix("address in use") {
            throw CommandFailure("port \(port) on \(host) is in use: another server holds it; choose another --http")
        }
        defer { close(listenFD) }
        let control = try SignalPipe.install()
        let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        StderrLog.write(
            SWIFTGATE_LOG_NOTICE,
            "swiftgate development server: \(library) on http://\(shown)/ (\(threads) threads; Ctrl-C stops it). "
                + "Not for production: use swiftgate express or mod_swiftgate."
        )
        let server = HTTPDevServer(
            configuration: HTTPDevServer.Configuration(
                listenFD: listenFD,
                controlFD: control,
                library: library,
                callable: callable,
                applicationGroup: applicationGroup,
                threads: threads,
                host: StderrLog.host,
                headTimeoutMilliseconds: headTimeoutMilliseconds
            )
        )
        let status = server.run()
        if status != 0 { throw CommandFailure("the application in \(library) did not start (see the log above)") }
    }
}
