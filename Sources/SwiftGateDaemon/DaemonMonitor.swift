import CSwiftGate
import Glibc
import SwiftGateHosting

/// The daemon's watch, run on the thread that called
/// `swiftgate_daemon_main`: reads the control pipe, and every tick checks
/// request-timeout, the recycling limits, the parent and a drain, until a
/// stop has finished or given up on running requests.
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
    /// Whether a request ran past request-timeout: then the daemon no
    /// longer accepts and exits once no other request is within the limit.
    private var timedOut = false

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
            readControl()
            let now = PosixClock.monotonicMilliseconds()
            let snapshot = state.snapshot()
            checkRequestTimeout(snapshot, now: now)
            if state.isStopping {
                let progress = state.stopProgress()
                if progress.workersDone || progress.deadlinePassed { return }
            } else {
                checkLimits(snapshot, now: now, checkLibraries: tick % Self.libraryCheckTicks == 0)
            }
            tick += 1
        }
    }

    private func stop(_ reason: String, wait: UInt64) {
        daemon.stop(reason, wait: wait)
    }

    /// Waits up to one tick for control bytes and acts on them.
    private mutating func readControl() {
        let fd = configuration.controlFD
        var watch = pollfd(fd: controlOpen ? fd : -1, events: Int16(POLLIN), revents: 0)
        guard poll(&watch, 1, Self.tickMilliseconds) > 0, controlOpen else { return }
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
            case ControlByte.drain where drainingSince == nil && !state.isStopping:
                drainingSince = PosixClock.monotonicMilliseconds()
                daemon.log.info("draining: exiting once idle")
            default:
                continue
            }
        }
    }

    /// Exits the process when a request has run past request-timeout, as
    /// soon as the requests running beside it have ended or passed the
    /// limit too: the process stops accepting at once, so a stuck request
    /// costs its process, not the responses of its neighbours.
    private mutating func checkRequestTimeout(_ snapshot: DaemonState.Snapshot, now: UInt64) {
        let limit = configuration.requestTimeoutMilliseconds
        guard limit > 0, let oldest = snapshot.oldest, let newest = snapshot.newest, now - oldest.started > limit
        else { return }
        if !timedOut {
            timedOut = true
            daemon.log.error(
                "request \(oldest.method) \(oldest.uri) ran longer than request-timeout of \(limit) ms; "
                    + "exiting with status \(SWIFTGATE_DAEMON_EXIT_TIMEOUT) once the other "
                    + "\(snapshot.running - 1) running requests end"
            )
            stop("stopping: request-timeout of \(limit) ms passed", wait: limit)
        }
        if now - newest.started > limit {
            _exit(SWIFTGATE_DAEMON_EXIT_TIMEOUT)
        }
    }

    private mutating func checkLimits(_ snapshot: DaemonState.Snapshot, now: UInt64, checkLibraries: Bool) {
        let graceful = configuration.gracefulTimeoutMilliseconds
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
