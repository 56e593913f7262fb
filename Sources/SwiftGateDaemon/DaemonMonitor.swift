import CSwiftGate
import Glibc
import SwiftGateHosting

/// The daemon's watch, run on the thread that called
/// `swiftgate_daemon_main`: reads the control pipe, watches the connections
/// of running requests for a front-end that gives up (and cancels their
/// tasks), and every tick checks request-timeout, the recycling limits, the
/// parent and a drain, until a stop has finished or given up on running
/// requests.
struct DaemonMonitor {
    /// How often the limits are checked.
    static let tickMilliseconds: Int32 = 200
    /// Library files are checked every this many ticks.
    static let libraryCheckTicks = 5
    /// A drain ends after this long without a request or a connection.
    static let drainQuietMilliseconds: UInt64 = 1000

    let daemon: Daemon
    private var controlOpen: Bool
    private var drainingSince: UInt64?
    /// Whether a request ran past request-timeout and could not be
    /// cancelled (or did not end within interrupt-timeout after): then the
    /// daemon no longer accepts and exits once no other request is within
    /// the limit.
    private var timedOut = false
    /// Linux's POLLRDHUP (the peer closed its end), which Glibc's module
    /// does not export without _GNU_SOURCE.
    static let pollReadHangUp: Int32 = 0x2000
    /// Resident memory is read every this many ticks.
    static let memoryCheckTicks = 2

    init(daemon: Daemon) {
        self.daemon = daemon
        controlOpen = daemon.configuration.controlFD >= 0
    }

    private var configuration: DaemonConfiguration { daemon.configuration }
    private var state: DaemonState { daemon.state }

    /// Watches until the daemon has stopped.
    mutating func run() {
        var tick = 0
        while true {
            waitTick(state.snapshot())
            let now = PosixClock.monotonicMilliseconds()
            let snapshot = state.snapshot()
            checkRequestTimeout(snapshot, now: now)
            if state.isStopping {
                let progress = state.stopProgress()
                if progress.workersDone || progress.deadlinePassed { return }
            } else {
                checkLimits(
                    snapshot,
                    now: now,
                    checkLibraries: tick % Self.libraryCheckTicks == 0,
                    checkMemory: tick % Self.memoryCheckTicks == 0
                )
            }
            tick += 1
        }
    }

    /// Waits up to one tick for control bytes or a running request's
    /// connection to speak, and acts on what came.
    ///
    /// A connection is watched for the front-end closing it (`POLLRDHUP`),
    /// and, once the request body has been read, for any byte (an
    /// ABORT_REQUEST: a front-end sends nothing else before the response
    /// ends). Either cancels the request's task; a cancelled request is not
    /// watched again.
    private mutating func waitTick(_ snapshot: DaemonState.Snapshot) {
        let watched = snapshot.requests.filter { $0.request.cancelled == nil }
        var fds = [pollfd(fd: controlOpen ? configuration.controlFD : -1, events: Int16(POLLIN), revents: 0)]
        for (_, request) in watched {
            let events = Self.pollReadHangUp | (request.bodyEnded ? Int32(POLLIN) : 0)
            fds.append(pollfd(fd: request.fd, events: Int16(truncatingIfNeeded: events), revents: 0))
        }
        guard poll(&fds, nfds_t(fds.count), Self.tickMilliseconds) > 0 else { return }
        if fds[0].revents != 0 { readControl() }
        for (index, (slot, request)) in watched.enumerated() where fds[index + 1].revents != 0 {
            switch state.cancel(slot: slot, number: request.number, reason: .clientGone) {
            case .cancelled:
                daemon.log.info(
                    "\(request.method) \(request.uri): the front-end gave the request up (the client went away); "
                        + "its task was cancelled"
                )
            case .notCancellable:
                daemon.log.info(
                    "\(request.method) \(request.uri): the front-end gave the request up; "
                        + "its application cannot be cancelled, it runs to its end"
                )
            case .gone:
                continue
            }
        }
    }

    private func stop(_ reason: String, wait: UInt64) {
        daemon.stop(reason, wait: wait)
    }

    /// Reads the control bytes waiting and acts on them.
    private mutating func readControl() {
        let fd = configuration.controlFD
        guard controlOpen else { return }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EAGAIN || errno == EINTR { return }
        guard count > 0 else {
            controlOpen = false
            stop("stopping: the control pipe closed", wait: configuration.shutdownTimeoutMilliseconds)
            return
        }
        for byte in bytes.prefix(count) {
            switch byte {
            case ControlByte.stop:
                stop("stopping on request", wait: configuration.shutdownTimeoutMilliseconds)
            case ControlByte.recycle:
                stop(
                    "recycling on request (replaced by a rolling restart, or retired from the pool)",
                    wait: configuration.gracefulTimeoutMilliseconds
                )
            case ControlByte.drain where drainingSince == nil && !state.isStopping:
                drainingSince = PosixClock.monotonicMilliseconds()
                state.noteDraining()
                daemon.log.info("draining: exiting once idle")
            default:
                continue
            }
        }
    }

    /// Cancels the task of a request that has run past request-timeout;
    /// one that has not ended interrupt-timeout later (or whose library
    /// cannot cancel it) condemns its process: it stops accepting at once
    /// and exits as soon as the requests beside it have ended or passed
    /// the limit too, so a stuck request costs its process, not the
    /// responses of its neighbours.
    private mutating func checkRequestTimeout(_ snapshot: DaemonState.Snapshot, now: UInt64) {
        let limit = configuration.requestTimeoutMilliseconds
        guard limit > 0 else { return }
        let interrupt = configuration.interruptTimeoutMilliseconds
        for (slot, request) in snapshot.requests where !timedOut && now - request.started > limit {
            let label = "\(request.method) \(request.uri)"
            if let cancelled = request.cancelled {
                if cancelled.reason == .requestTimeout, now - cancelled.at > interrupt {
                    condemn(
                        snapshot,
                        "request \(label) ran longer than request-timeout of \(limit) ms and did not end within "
                            + "interrupt-timeout of \(interrupt) ms after its task was cancelled"
                    )
                }
                continue
            }
            switch state.cancel(slot: slot, number: request.number, reason: .requestTimeout) {
            case .cancelled where interrupt > 0:
                daemon.log.warning(
                    "request \(label) ran longer than request-timeout of \(limit) ms; its task was cancelled "
                        + "(answered 504; the process is replaced if it has not ended within interrupt-timeout "
                        + "of \(interrupt) ms)"
                )
            case .cancelled, .notCancellable:
                condemn(
                    snapshot,
                    "request \(label) ran longer than request-timeout of \(limit) ms"
                        + (interrupt > 0 ? " and its application cannot be cancelled" : "")
                )
            case .gone:
                continue
            }
        }
        if timedOut, let newest = snapshot.newest, now - newest.started > limit {
            _exit(SWIFTGATE_DAEMON_EXIT_TIMEOUT)
        }
    }

    /// Stops accepting and exits TIMEOUT once no request is within
    /// request-timeout any more.
    private mutating func condemn(_ snapshot: DaemonState.Snapshot, _ why: String) {
        guard !timedOut else { return }
        timedOut = true
        let limit = configuration.requestTimeoutMilliseconds
        daemon.log.error(
            "\(why); exiting with status \(SWIFTGATE_DAEMON_EXIT_TIMEOUT) once the other "
                + "\(snapshot.running - 1) running requests end"
        )
        daemon.stop(
            "stopping: request-timeout of \(limit) ms passed",
            wait: limit,
            status: SWIFTGATE_DAEMON_EXIT_TIMEOUT
        )
    }

    private mutating func checkLimits(
        _ snapshot: DaemonState.Snapshot,
        now: UInt64,
        checkLibraries: Bool,
        checkMemory: Bool
    ) {
        let graceful = configuration.gracefulTimeoutMilliseconds
        let memoryLimit = configuration.memoryLimitBytes
        if memoryLimit > 0, checkMemory, let resident = ResidentMemory.bytes(), resident > memoryLimit {
            daemon.stop(
                "recycling: resident memory \(resident >> 20) MiB (\(resident) bytes) passed memory-limit of "
                    + "\(memoryLimit >> 20) MiB; finishing \(snapshot.running) running requests",
                wait: graceful,
                status: SWIFTGATE_DAEMON_EXIT_MEMORY
            )
            return
        }
        if configuration.watchesParent, getppid() != daemon.parentPID {
            stop("stopping: the parent process exited", wait: configuration.shutdownTimeoutMilliseconds)
            return
        }
        let interval = configuration.restartIntervalMilliseconds
        if interval > 0, now - daemon.started >= interval {
            stop("recycling: restart-interval of \(interval) ms passed", wait: graceful)
            return
        }
        let inactivity = configuration.inactivityTimeoutMilliseconds
        if inactivity > 0, snapshot.running == 0, now - snapshot.lastActivity >= inactivity {
            stop("recycling: no request for inactivity-timeout of \(inactivity) ms", wait: graceful)
            return
        }
        if configuration.checkLibraries, checkLibraries {
            let changed = daemon.registry.changedLibraries()
            if !changed.isEmpty {
                for line in changed { daemon.log.info(line) }
                stop("recycling: \(changed.count) application libraries changed", wait: graceful)
                return
            }
        }
        if let since = drainingSince {
            let quietSince = max(snapshot.lastAccept, snapshot.lastActivity, since)
            if snapshot.running == 0, now - quietSince >= Self.drainQuietMilliseconds {
                stop("drained: no request for \(Self.drainQuietMilliseconds) ms", wait: graceful)
            } else if now - since >= graceful {
                stop("drain gave up after graceful-timeout of \(graceful) ms", wait: 0)
            }
        }
    }
}
