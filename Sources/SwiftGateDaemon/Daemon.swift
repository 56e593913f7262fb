import CSwiftGate
import Glibc
import SwiftGateFastCGI
import SwiftGateHosting

/// A daemon process: worker threads that accept FastCGI connections on the
/// shared listening socket and serve them, and the calling thread, which
/// watches over them (``DaemonMonitor``) until the daemon stops or recycles.
final class Daemon: @unchecked Sendable {
    let configuration: DaemonConfiguration
    let log: HostLog
    let state: DaemonState
    let registry: ApplicationRegistry
    /// The parent when the daemon started; another parent means it died.
    let parentPID = getppid()
    /// When the daemon started (monotonic milliseconds), for restart-interval.
    let started = PosixClock.monotonicMilliseconds()
    /// The PARAMS that choose an application, in ``ApplicationChoice``'s
    /// order (`""` for `SCRIPT_FILENAME` when the library is fixed).
    private let choosingParams: [String]
    private var workers: [pthread_t] = []
    private var poller: ConnectionPoller?

    /// How long the applications' `shutdown()` may take, all together,
    /// once the last request ended.
    static let stopTimeoutMilliseconds: UInt64 = 5000

    /// Sets a daemon up; nothing runs until ``run()``.
    ///
    /// - Throws: A ``PosixError`` when the wake pipe cannot be made.
    init(configuration: DaemonConfiguration) throws(PosixError) {
        self.configuration = configuration
        log = HostLog(host: configuration.host, processGroup: configuration.processGroup)
        state = try DaemonState(threads: Int(configuration.threads))
        registry = ApplicationRegistry(log: log, processGroup: configuration.processGroup)
        choosingParams = [
            configuration.fixedLibrary == nil ? "SCRIPT_FILENAME" : "", RequestDescription.Key.callable,
            RequestDescription.Key.applicationGroup,
        ]
    }

    /// Preloads, serves until stopped, and returns the exit status.
    func run() -> Int32 {
        let listenFlags = fcntl(configuration.listenFD, F_GETFL)
        guard listenFlags >= 0, fcntl(configuration.listenFD, F_SETFL, listenFlags | O_NONBLOCK) == 0 else {
            log.error("cannot use listening socket \(configuration.listenFD): \(PosixError.current)")
            return SWIFTGATE_DAEMON_EXIT_FAILED
        }
        do {
            poller = try ConnectionPoller(listenFD: configuration.listenFD, wakeFD: state.wakeRead)
        } catch {
            log.error("cannot watch listening socket \(configuration.listenFD): \(error)")
            return SWIFTGATE_DAEMON_EXIT_FAILED
        }
        switch preload() {
        case .ready: break
        case .timedOut: return SWIFTGATE_DAEMON_EXIT_STARTUP
        case .unhealthy:
            // Started but refused: what its applications started stops in order.
            registry.stopAll(timeoutMilliseconds: Self.stopTimeoutMilliseconds)
            return SWIFTGATE_DAEMON_EXIT_HEALTH
        }
        for slot in 0..<Int(configuration.threads) {
            state.workerStarted()
            switch PosixThread.spawn(name: "swiftgate-w\(slot)", { [self] in worker(slot: slot) }) {
            case .success(let thread):
                workers.append(thread)
            case .failure(let error):
                state.workerExited()
                log.error("cannot start worker thread \(slot): \(error)")
                if workers.isEmpty { return SWIFTGATE_DAEMON_EXIT_FAILED }
            }
        }
        log.info("serving FastCGI with \(workers.count) threads (pid \(getpid()))")
        configuration.serving?(configuration.servingContext, 1)
        var monitor = DaemonMonitor(daemon: self)
        monitor.run()
        let reason = state.reason ?? "stopped"
        if state.stopProgress().workersDone {
            for thread in workers { pthread_join(thread, nil) }
            log.info("exiting: \(reason)")
        } else {
            log.warning("exiting: \(reason); gave up on \(state.runningCount) running requests")
        }
        registry.stopAll(timeoutMilliseconds: Self.stopTimeoutMilliseconds)
        return state.exitStatus
    }

    /// How preloading ended.
    enum Preload {
        case ready
        /// startup-timeout passed.
        case timedOut
        /// An application did not answer health-check with 2xx.
        case unhealthy
    }

    /// Starts the preload list, then asks each application for
    /// health-check, on a thread of its own, so that a start that hangs
    /// cannot hold the daemon past startup-timeout. Nothing is accepted
    /// before this ends: a process that fails its health check never
    /// serves a request.
    private func preload() -> Preload {
        let keys = configuration.preload
        guard !keys.isEmpty else { return .ready }
        let done = ConditionLock()
        var finished = false
        var unhealthy = false
        let spawned = PosixThread.spawn(name: "swiftgate-load") { [registry, configuration, log] in
            var failed = false
            for key in keys {
                guard case .success(let application) = registry.application(for: key),
                    let path = configuration.healthCheck
                else { continue }
                if let problem = HealthCheck.probe(
                    application,
                    key: key,
                    path: path,
                    processGroup: configuration.processGroup,
                    log: log
                ) {
                    log.error("health check failed for \(key.library): \(problem); not serving")
                    failed = true
                    break
                }
            }
            done.withLock {
                finished = true
                unhealthy = failed
                done.broadcast()
            }
        }
        if case .failure(let error) = spawned {
            log.error("cannot start the preload thread: \(error); applications start on first use")
            return .ready
        }
        let limit = configuration.startupTimeoutMilliseconds
        let deadline = limit > 0 ? PosixClock.monotonicMilliseconds() + limit : UInt64.max
        let ok = done.withLock {
            while !finished {
                if PosixClock.monotonicMilliseconds() >= deadline { return false }
                done.wait(untilMonotonicMilliseconds: min(deadline, PosixClock.monotonicMilliseconds() + 1000))
            }
            return true
        }
        if case .success(let thread) = spawned {
            if ok { pthread_join(thread, nil) } else { pthread_detach(thread) }
        }
        if !ok {
            log.error("preloading \(keys.count) applications took longer than startup-timeout of \(limit) ms; exiting")
            return .timedOut
        }
        if let path = configuration.healthCheck, !done.withLock({ unhealthy }) {
            log.info("\(keys.count) applications answered health check \(path)")
        }
        return done.withLock { unhealthy } ? .unhealthy : .ready
    }

    /// A worker: takes whatever the poller has ready (a connection to
    /// accept, a parked connection with a request) and serves it until the
    /// connection is idle, then parks it; until the daemon stops.
    private func worker(slot: Int) {
        defer { state.workerExited() }
        guard let poller else { return }
        while true {
            switch poller.next() {
            case .stop:
                // Idle keep-alive connections close at once, so a front-end
                // reusing one connects afresh (to a process still serving).
                poller.closeParked()
                return
            case .again:
                continue
            case .accept:
                let fd = Acceptor.accept(configuration.listenFD)
                let failure = errno
                poller.rearmListener()
                if fd < 0 {
                    if acceptFailed(failure) { return }
                    continue
                }
                state.noteAccepted()
                let connection = FastCGIConnection(
                    fd: fd,
                    timeoutMilliseconds: configuration.socketTimeoutMilliseconds
                )
                serve(ConnectionServer(connection: connection, daemon: self), slot: slot, poller: poller)
            case .connection(let server):
                serve(server, slot: slot, poller: poller)
            }
        }
    }

    private func serve(_ server: ConnectionServer, slot: Int, poller: ConnectionPoller) {
        if server.serveAvailable(slot: slot) == .idle {
            server.connection.releaseBuffer()
            poller.park(server)
        }
    }

    /// Handles a failed accept(2).
    ///
    /// - Returns: Whether the worker is to end (the socket is unusable).
    private func acceptFailed(_ failure: Int32) -> Bool {
        switch failure {
        case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
            // Another thread or process took it, or it went away.
            return false
        case EBADF, EINVAL, ENOTSOCK, EOPNOTSUPP:
            stop(
                "stopping: the listening socket cannot accept (\(PosixError(code: failure)))",
                wait: configuration.shutdownTimeoutMilliseconds
            )
            return true
        default:
            log.error("accept failed: \(PosixError(code: failure))")
            usleep(100_000)
            return false
        }
    }

    /// How long a request waited past queue-timeout, if it did.
    func queueTimeExceeded(_ description: RequestDescription) -> UInt64? {
        let limit = configuration.queueTimeoutMilliseconds
        guard limit > 0, let text = description.value(SWIFTGATE_PARAM_REQUEST_START),
            let start = UInt64(text)
        else { return nil }
        let now = PosixClock.wallMicroseconds()
        guard now > start else { return nil }
        let waited = (now - start) / 1000
        return waited > limit ? waited : nil
    }

    /// The application a request chose, and the PARAMS values that chose
    /// it: a front-end sends the same ones on every request for one mount,
    /// so a connection keeps its last choice and reuses it while they stay
    /// the same (no strings decoded, no key hashed, no lock taken).
    struct ApplicationChoice {
        /// `SCRIPT_FILENAME`, callable and application group as sent
        /// (`nil`: not sent; the library is `nil` for a fixed one).
        let chosenBy: [[UInt8]?]
        let key: ApplicationKey
        let application: StartedApplication
    }

    /// Chooses the application a request names, adds the `swiftgate.*`
    /// keys, and returns the started instance (500 on failure, logged).
    ///
    /// - Parameters:
    ///   - description: The request.
    ///   - last: The connection's previous choice, reused when the request
    ///     names the same application, and replaced when it does not.
    func application(
        for description: inout RequestDescription,
        last: inout ApplicationChoice?
    ) -> Result<StartedApplication, CacheFailure> {
        let names = choosingParams
        if let previous = last,
            zip(names, previous.chosenBy).allSatisfy({ $0.isEmpty || description.lastValue($0, equals: $1) })
        {
            addGatewayKeys(to: &description, key: previous.key)
            return .success(previous.application)
        }
        let chosenBy = names.map { $0.isEmpty ? nil : description.bytes($0) }
        let library: String
        if let fixed = configuration.fixedLibrary {
            library = fixed
        } else {
            let named = description.value("SCRIPT_FILENAME") ?? ""
            guard configuration.libraries.contains(named) else {
                let message = "SCRIPT_FILENAME '\(named)' is not one of this group's application libraries"
                log.error(message)
                return .failure(CacheFailure(message: message))
            }
            library = named
        }
        let callable = description.value(RequestDescription.Key.callable).flatMap { $0.isEmpty ? nil : $0 }
        let group = description.value(RequestDescription.Key.applicationGroup)
        let key = ApplicationKey(
            library: library,
            callable: callable ?? configuration.defaultCallable,
            group: group ?? configuration.defaultApplicationGroup
        )
        addGatewayKeys(to: &description, key: key)
        let started = registry.application(for: key)
        configuration.reports?.libraryLoaded(key.library)
        if case .success(let application) = started {
            last = ApplicationChoice(chosenBy: chosenBy, key: key, application: application)
        }
        return started
    }

    private func addGatewayKeys(to description: inout RequestDescription, key: ApplicationKey) {
        description.addGatewayKeys(
            processGroup: configuration.processGroup,
            callable: key.callable,
            applicationGroup: key.group,
            threads: configuration.threads
        )
    }

    /// Counts a request in, and recycles once maximum-requests started.
    func requestStarts(slot: Int, method: String, uri: String, fd: Int32) {
        let number = state.begin(slot: slot, method: method, uri: uri, fd: fd)
        let maximum = configuration.maximumRequests
        if maximum > 0, number >= maximum {
            stop("recycling: maximum-requests (\(maximum)) reached", wait: configuration.gracefulTimeoutMilliseconds)
        }
    }

    /// Stops accepting (logged once, at info, with the reason) and gives
    /// running requests `wait` milliseconds.
    func stop(_ reason: String, wait: UInt64, status: Int32 = SWIFTGATE_DAEMON_EXIT_OK) {
        if state.stop(reason: reason, waitMilliseconds: wait, status: status) {
            configuration.serving?(configuration.servingContext, 0)
            log.info(reason + "; no longer accepting")
        }
    }
}
