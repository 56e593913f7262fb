import CSwiftGate
import Glibc
import SwiftGateFastCGI
import SwiftGateHosting

/// A development HTTP/1.1 server: runs one application library in this
/// process through the same entry points Apache uses (`swiftgate_start`,
/// `swiftgate_handle`), with no Apache in front.
///
/// Worker threads accept connections on the listening socket and serve each
/// connection's requests in turn (keep-alive). The calling thread waits for
/// a byte on the control pipe, then stops the workers: idle connections
/// close at once, running requests finish.
package final class HTTPDevServer: @unchecked Sendable {
    /// What to serve and how.
    package struct Configuration: @unchecked Sendable {
        /// A listening TCP socket.
        package var listenFD: Int32
        /// The read end of a pipe: any byte stops the server.
        package var controlFD: Int32
        /// The application library.
        package var library: String
        /// The callable object (default `swiftgate_application`).
        package var callable: String
        /// The application group (default: the global one, "").
        package var applicationGroup: String
        /// Connections served at once.
        package var threads: UInt32
        /// The host services (log) handed to the application.
        package var host: UnsafePointer<swiftgate_host>?
        /// How long a request head may take from its first byte to its
        /// empty line, in milliseconds; a slower one is answered 408.
        package var headTimeoutMilliseconds: Int32

        /// Makes a configuration.
        ///
        /// - Parameters:
        ///   - listenFD: A listening TCP socket.
        ///   - controlFD: The read end of the stop pipe.
        ///   - library: The application library's path.
        ///   - callable: The callable object, or nil for the default.
        ///   - applicationGroup: The application group, or nil for "".
        ///   - threads: Connections served at once (at least 1).
        ///   - host: The host services, or nil for plain stderr.
        ///   - headTimeoutMilliseconds: How long a whole request head may
        ///     take (at least 1).
        package init(
            listenFD: Int32,
            controlFD: Int32,
            library: String,
            callable: String?,
            applicationGroup: String?,
            threads: UInt32,
            host: UnsafePointer<swiftgate_host>?,
            headTimeoutMilliseconds: Int32 = HTTPDevServer.defaultHeadTimeoutMilliseconds
        ) {
            self.listenFD = listenFD
            self.controlFD = controlFD
            self.library = library
            self.callable = callable ?? SWIFTGATE_DEFAULT_CALLABLE
            self.applicationGroup = applicationGroup ?? ""
            self.threads = max(1, threads)
            self.host = host
            self.headTimeoutMilliseconds = max(1, headTimeoutMilliseconds)
        }
    }

    /// The most bytes a request head may have; more is answered with 431.
    package static let headLimit = 64 * 1024
    /// How long an idle keep-alive connection is kept, in milliseconds.
    static let keepAliveMilliseconds: Int32 = 5000
    /// How long a request head may take from its first byte, by default:
    /// 20 s, the first figure of mod_reqtimeout's default
    /// (`header=20-40,MinRate=500`). A browser sends a head in one packet;
    /// 20 s covers a person typing one into telnet, and bounds what a
    /// client sending a byte every few seconds can hold a worker for
    /// (``keepAliveMilliseconds`` to the first byte, then this).
    package static let defaultHeadTimeoutMilliseconds: Int32 = 20_000
    /// The longest one read or write on a connection waits.
    static let socketTimeoutMilliseconds: Int32 = 30_000
    /// The longest a stop waits for running requests.
    static let stopWaitMilliseconds: UInt64 = 10_000

    private let configuration: Configuration
    private let log: HostLog
    private let registry: ApplicationRegistry
    private let lock = ConditionLock()
    private var running = 0
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1

    /// Sets a server up; nothing runs until ``run()``.
    package init(configuration: Configuration) {
        self.configuration = configuration
        log = HostLog(host: configuration.host, processGroup: "")
        registry = ApplicationRegistry(log: log, processGroup: "")
    }

    /// Starts the application, serves until a byte arrives on the control
    /// pipe, and returns an exit status (0, or
    /// `SWIFTGATE_DAEMON_EXIT_FAILED` when the application could not start).
    package func run() -> Int32 {
        let key = ApplicationKey(
            library: configuration.library,
            callable: configuration.callable,
            group: configuration.applicationGroup
        )
        guard case .success(let application) = registry.application(for: key) else {
            return SWIFTGATE_DAEMON_EXIT_FAILED
        }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            log.raw(SWIFTGATE_LOG_ERR, "dev server: cannot make the wake pipe: \(PosixError.current)")
            return SWIFTGATE_DAEMON_EXIT_FAILED
        }
        (wakeRead, wakeWrite) = (fds[0], fds[1])
        defer {
            close(wakeRead)
            close(wakeWrite)
        }
        let flags = fcntl(configuration.listenFD, F_GETFL)
        _ = fcntl(configuration.listenFD, F_SETFL, flags | O_NONBLOCK)
        for slot in 0..<Int(configuration.threads) {
            lock.withLock { running += 1 }
            let spawned = PosixThread.spawn(name: "swiftgate-h\(slot)") { [self] in
                worker(application)
                lock.withLock {
                    running -= 1
                    lock.broadcast()
                }
            }
            if case .failure(let error) = spawned {
                lock.withLock { running -= 1 }
                log.raw(SWIFTGATE_LOG_ERR, "dev server: cannot start worker thread \(slot): \(error)")
            } else if case .success(let thread) = spawned {
                pthread_detach(thread)
            }
        }
        waitForStop()
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        let deadline = PosixClock.monotonicMilliseconds() + Self.stopWaitMilliseconds
        let left = lock.withLock {
            while running > 0, PosixClock.monotonicMilliseconds() < deadline {
                lock.wait(untilMonotonicMilliseconds: deadline)
            }
            return running
        }
        if left > 0 { log.raw(SWIFTGATE_LOG_WARNING, "dev server: gave up on \(left) running requests") }
        return 0
    }

    private var isStopping: Bool {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) > 0
    }

    private func waitForStop() {
        var fds = [pollfd(fd: configuration.controlFD, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 1, -1)
            if ready < 0, errno == EINTR { continue }
            return
        }
    }

    /// A worker: accepts connections and serves each to its end.
    private func worker(_ application: StartedApplication) {
        let listenFD = configuration.listenFD
        while true {
            var fds = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            let fd = Acceptor.accept(listenFD)
            if fd < 0 { continue }
            let connection = HTTPConnection(
                fd: fd,
                timeoutMilliseconds: Self.socketTimeoutMilliseconds,
                wakeFD: wakeRead
            )
            serve(connection, application)
            connection.close()
        }
    }

    /// Serves the requests of one connection until it closes.
    private func serve(_ connection: HTTPConnection, _ application: StartedApplication) {
        let endpoints = SocketEndpoints.of(connection.fd)
        while true {
            let bytes: [UInt8]
            do {
                switch try connection.readHead(
                    limit: Self.headLimit,
                    idleMilliseconds: Self.keepAliveMilliseconds,
                    deadlineMilliseconds: configuration.headTimeoutMilliseconds
                ) {
                case .head(let head):
                    bytes = head
                case .idle:
                    return
                case .tooSlow(partial: false):
                    return
                case .tooSlow(partial: true):
                    let seconds = Double(configuration.headTimeoutMilliseconds) / 1000
                    refuse(connection, status: 408, reason: "request head not complete within \(seconds) s", endpoints)
                    return
                }
            } catch .tooLarge {
                refuse(connection, status: 431, reason: "request head larger than \(Self.headLimit) bytes", endpoints)
                return
            } catch {
                return
            }
            let head: HTTPRequestHead
            var description: RequestDescription
            do {
                head = try HTTPRequestHead(parsing: bytes)
                description = try HTTPEnviron.description(
                    for: head,
                    endpoints: endpoints,
                    library: configuration.library
                )
            } catch {
                refuse(connection, status: error.status, reason: error.description, endpoints)
                return
            }
            description.set(RequestDescription.Key.multiprocess, "0")
            description.addGatewayKeys(
                processGroup: "",
                callable: configuration.callable,
                applicationGroup: configuration.applicationGroup,
                threads: configuration.threads
            )
            let label = "\(head.method) \(String(decoding: head.target, as: UTF8.self))"
            let request = HTTPDevRequest(
                connection: connection,
                head: head,
                keepAlive: head.wantsKeepAlive && !isStopping
            ) { [log] level, message in
                log.raw(level, "\(endpoints.remoteAddress) \(label): \(message)")
            }
            let rc = description.withPairs { environ, headers in
                request.run(application, environ: environ, headers: headers)
            }
            let keep = request.finish(rc)
            log.raw(
                SWIFTGATE_LOG_INFO,
                "\(endpoints.remoteAddress) \"\(label) \(head.version)\" \(request.loggedStatus) \(request.loggedBytes)"
            )
            if !keep { return }
        }
    }

    /// Answers a request that never reached the application.
    private func refuse(
        _ connection: HTTPConnection,
        status: Int,
        reason: String,
        _ endpoints: HTTPEnviron.Endpoints
    ) {
        log.raw(SWIFTGATE_LOG_INFO, "\(endpoints.remoteAddress): answered \(status): \(reason)")
        let phrase = status == 431 ? "Request Header Fields Too Large" : (ResponseHead.reason(status) ?? "Error")
        let text =
            "HTTP/1.1 \(status) \(phrase)\r\nServer: swiftgate-dev-server\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(phrase.utf8.count + 1)\r\n"
            + "Connection: close\r\n\r\n\(phrase)\n"
        try? connection.write(Array(text.utf8))
    }
}
