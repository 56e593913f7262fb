import CSwiftGatePoller
import Glibc
import SwiftGateHosting

/// Where the daemon's workers wait: one epoll instance watching the
/// listening socket, the wake pipe and every kept-alive connection that is
/// idle between requests.
///
/// A front-end keeps its FastCGI connections open between requests, so an
/// idle connection must not hold a worker: it is parked here, and whichever
/// worker is free takes it when its next request arrives. Every watch but
/// the wake pipe's fires once and is armed again when its owner is done
/// with it, so one event reaches one worker. Parked connections carry a
/// fresh token each time, so a late event for a connection closed meanwhile
/// (whose descriptor may since name another) finds nothing.
final class ConnectionPoller: @unchecked Sendable {
    /// What a worker is to do next.
    enum Event {
        /// Accept on the listening socket (armed again already).
        case accept
        /// The daemon is stopping.
        case stop
        /// A parked connection has input (or was closed by its peer).
        case connection(ConnectionServer)
        /// Nothing (an interrupted wait or a stale event): wait again.
        case again
    }

    private static let listenToken: UInt64 = 0
    private static let wakeToken: UInt64 = 1

    private let epfd: Int32
    private let listenFD: Int32
    private let lock = ConditionLock()
    private var parked: [UInt64: ConnectionServer] = [:]
    private var nextToken: UInt64 = 2
    private var closing = false

    /// Watches `listenFD` (once per event) and `wakeFD` (for good).
    ///
    /// - Throws: A ``PosixError`` when epoll cannot be set up.
    init(listenFD: Int32, wakeFD: Int32) throws(PosixError) {
        epfd = swiftgate_poller_create()
        guard epfd >= 0 else { throw .current }
        self.listenFD = listenFD
        guard swiftgate_poller_arm(epfd, listenFD, Self.listenToken, 1, 1) == 0,
            swiftgate_poller_arm(epfd, wakeFD, Self.wakeToken, 0, 1) == 0
        else {
            let error = PosixError.current
            Glibc.close(epfd)
            throw error
        }
    }

    deinit {
        Glibc.close(epfd)
    }

    /// Waits for the next thing to do.
    func next() -> Event {
        var token: UInt64 = 0
        let ready = swiftgate_poller_wait(epfd, &token, -1)
        guard ready == 1 else { return .again }
        switch token {
        case Self.wakeToken:
            return .stop
        case Self.listenToken:
            return .accept
        default:
            return lock.withLock { parked.removeValue(forKey: token) }.map { .connection($0) } ?? .again
        }
    }

    /// Arms the listening socket for its next connection.
    func rearmListener() {
        _ = swiftgate_poller_arm(epfd, listenFD, Self.listenToken, 1, 0)
    }

    /// Parks a connection between requests, or closes it when the daemon
    /// is stopping.
    func park(_ server: ConnectionServer) {
        let parkedNow: Bool = lock.withLock {
            guard !closing else { return false }
            let token = nextToken
            nextToken += 1
            parked[token] = server
            let fd = server.connection.fd
            let first = !server.isPolled
            server.isPolled = true
            if swiftgate_poller_arm(epfd, fd, token, 1, first ? 1 : 0) != 0 {
                parked[token] = nil
                return false
            }
            return true
        }
        if !parkedNow { server.connection.close() }
    }

    /// Closes every parked connection, and from now on every connection
    /// parked: the daemon is stopping, so a front-end waiting to reuse one
    /// learns at once to connect elsewhere.
    func closeParked() {
        let idle: [ConnectionServer] = lock.withLock {
            closing = true
            defer { parked.removeAll() }
            return Array(parked.values)
        }
        for server in idle { server.connection.close() }
    }
}
