import CSwiftGate
import SwiftGateFastCGI
import SwiftGateHosting

/// Serves the FastCGI records of one connection: management records,
/// BEGIN_REQUEST by role, PARAMS, and then the request itself, one at a time
/// (no multiplexing).
///
/// A worker serves the connection while it has input; once it is idle
/// between requests it goes back to the ``ConnectionPoller`` and the next
/// request may be served by any worker.
final class ConnectionServer {
    /// How a turn of serving ended.
    enum Outcome {
        /// Between requests with nothing received: park the connection.
        case idle
        /// The connection is closed.
        case closed
    }

    /// A request whose PARAMS are still arriving.
    struct Pending {
        let requestID: UInt16
        let role: UInt16
        let keepConnection: Bool
        var params = FastCGIParamsBuffer()
    }

    /// The roles served; a BEGIN_REQUEST for any other gets UNKNOWN_ROLE.
    /// A new role goes here and in ``serve(_:)``.
    static let servedRoles: Set<UInt16> = [FastCGIBeginRequest.responder, FastCGIBeginRequest.authorizer]

    /// What reading the request body gave.
    enum BodyRecord {
        case content([UInt8])
        case aborted
    }

    let connection: FastCGIConnection
    let daemon: Daemon
    /// The worker serving the connection now (its slot in ``DaemonState``).
    private(set) var slot = 0
    /// Whether the ``ConnectionPoller`` has watched the connection before.
    var isPolled = false
    /// The application the previous request on this connection ran.
    var lastChoice: Daemon.ApplicationChoice?
    var log: HostLog { daemon.log }

    init(connection: FastCGIConnection, daemon: Daemon) {
        self.connection = connection
        self.daemon = daemon
    }

    /// Serves what the connection has to offer on worker `slot`: at least
    /// one record, then more while a request is under way or bytes wait.
    ///
    /// A connection that was just accepted gets its first request served
    /// even when a stop began meanwhile; a kept-alive one is closed by a
    /// stop between requests.
    ///
    /// - Returns: Whether the connection is idle (to be parked) or closed.
    func serveAvailable(slot: Int) -> Outcome {
        self.slot = slot
        do {
            if try serveRecords() == .idle { return .idle }
        } catch {
            noteFailure(error, during: "serving a connection")
        }
        connection.close()
        return .closed
    }

    private func serveRecords() throws(FastCGIConnection.Failure) -> Outcome {
        var pending: Pending?
        var progressed = false
        while true {
            if progressed, pending == nil, !connection.hasBufferedInput { return .idle }
            progressed = true
            let header: FastCGIRecordHeader
            let content: [UInt8]
            switch try connection.nextRecord() {
            case .closed: return .closed
            case .record(let h, let c): (header, content) = (h, c)
            }
            if header.isManagement {
                try answerManagement(header, content)
                continue
            }
            let forPending = header.requestID == pending?.requestID
            switch header.type {
            case .beginRequest where pending == nil:
                let begin: FastCGIBeginRequest
                do {
                    begin = try FastCGIBeginRequest(parsing: content)
                } catch {
                    throw .malformed(error)
                }
                if Self.servedRoles.contains(begin.role) {
                    pending = Pending(
                        requestID: header.requestID,
                        role: begin.role,
                        keepConnection: begin.keepConnection
                    )
                } else {
                    try endRequest(header.requestID, protocolStatus: UInt8(SWIFTGATE_FCGI_UNKNOWN_ROLE))
                    if !begin.keepConnection { return .closed }
                }
            case .beginRequest where !forPending:
                try endRequest(header.requestID, protocolStatus: UInt8(SWIFTGATE_FCGI_CANT_MPX_CONN))
            case .params where forPending && content.isEmpty:
                let request = pending!
                pending = nil
                let keep = try serve(request)
                if !keep || daemon.state.isStopping { return .closed }
            case .params where forPending:
                try malformedIfThrows { () throws(FastCGIError) in try pending!.params.append(content) }
            case .abortRequest where forPending:
                try endRequest(header.requestID, protocolStatus: UInt8(SWIFTGATE_FCGI_REQUEST_COMPLETE))
                if !pending!.keepConnection { return .closed }
                pending = nil
            case _ where forPending:
                // A second BEGIN_REQUEST for the same id, or STDIN before
                // the PARAMS ended.
                throw .malformed(.unexpectedRecord(type: header.type.rawValue, requestID: header.requestID))
            default:
                // Leftovers of a finished request (STDIN the application did
                // not read) and records for unknown ids are ignored.
                continue
            }
        }
    }

    func malformedIfThrows<R>(_ body: () throws(FastCGIError) -> R) throws(FastCGIConnection.Failure) -> R {
        do {
            return try body()
        } catch {
            throw .malformed(error)
        }
    }

    private func answerManagement(_ header: FastCGIRecordHeader, _ content: [UInt8]) throws(FastCGIConnection.Failure) {
        let threads = daemon.configuration.threads
        let reply = try malformedIfThrows { () throws(FastCGIError) in
            try FastCGIManagement.reply(to: header, content: content, threads: threads)
        }
        try connection.send(reply)
    }

    /// Sends END_REQUEST with appStatus 0.
    func endRequest(_ requestID: UInt16, protocolStatus: UInt8) throws(FastCGIConnection.Failure) {
        try connection.send(
            FastCGIRecordEncoder.records(
                type: .endRequest,
                requestID: requestID,
                content: FastCGIRecordEncoder.endRequestBody(appStatus: 0, protocolStatus: protocolStatus)
            )
        )
    }

    /// Sends a whole response (STDOUT, the empty STDOUT, END_REQUEST).
    func sendResponse(_ stdout: [UInt8], requestID: UInt16) throws(FastCGIConnection.Failure) {
        var out: [UInt8] = []
        out.reserveCapacity(stdout.count + 64)
        FastCGIRecordEncoder.appendResponseEnd(stdout: stdout, requestID: requestID, into: &out)
        try connection.send(out)
    }

    /// The next STDIN record of the running request, answering whatever
    /// else arrives meanwhile.
    func nextBodyRecord(for requestID: UInt16) throws(FastCGIConnection.Failure) -> BodyRecord {
        while true {
            switch try connection.nextRecord() {
            case .closed:
                throw .closedMidRecord
            case .record(let header, let content):
                if header.isManagement {
                    try answerManagement(header, content)
                } else if header.requestID != requestID {
                    if header.type == .beginRequest {
                        try endRequest(header.requestID, protocolStatus: UInt8(SWIFTGATE_FCGI_CANT_MPX_CONN))
                    }
                } else if header.type == .stdin {
                    return .content(content)
                } else if header.type == .abortRequest {
                    return .aborted
                } else {
                    throw .malformed(.unexpectedRecord(type: header.type.rawValue, requestID: requestID))
                }
            }
        }
    }

    /// Logs why the connection ends: a warning for malformed input, debug
    /// for a peer that went away or idled out.
    func noteFailure(_ failure: FastCGIConnection.Failure, during what: String) {
        switch failure {
        case .malformed, .unproven:
            log.warning("closing a FastCGI connection: \(failure)")
        case .timeout:
            log.info("\(what): \(failure) after \(daemon.configuration.socketTimeoutMilliseconds) ms")
        case .closedMidRecord, .system:
            log.debug("\(what): \(failure)")
        }
    }

    /// Reads and drops what is left of a request body before the
    /// connection closes, for at most ``drainLimitMilliseconds``: a front-end
    /// still sending it would otherwise see the close as an error.
    private func drainBody(of request: DaemonRequest) {
        guard !request.bodyEnded, !request.aborted, !request.connectionFailed else { return }
        let deadline = PosixClock.monotonicMilliseconds() + Self.drainLimitMilliseconds
        while true {
            let now = PosixClock.monotonicMilliseconds()
            guard now < deadline else { return }
            guard
                case .record(let header, let content) = try? connection.nextRecord(
                    waitMilliseconds: Int32(deadline - now)
                )
            else { return }
            if header.requestID == request.requestID, header.type == .abortRequest { return }
            if header.requestID == request.requestID, header.type == .stdin, content.isEmpty { return }
        }
    }

    /// The longest a closing connection waits for the rest of a request
    /// body the application did not read.
    static let drainLimitMilliseconds: UInt64 = 2000

    /// Serves a request whose PARAMS are complete in its role; for a
    /// responder, reads what is left of its body when the connection is to
    /// close (an authorizer request has no body).
    ///
    /// - Returns: Whether the connection can serve another request.
    /// Nothing but the health path is looked at before the request has
    /// shown the daemon's secret; any other request without it closes the
    /// connection.
    private func serve(_ pending: Pending) throws(FastCGIConnection.Failure) -> Bool {
        let decoded = try malformedIfThrows { () throws(FastCGIError) in try pending.params.decode() }
        guard let spans = daemon.configuration.secret.admit(pending.params.bytes, decoded) else {
            // A balancer's probe cannot send the secret (neither Apache's
            // hcheck nor HAProxy's FastCGI check carries parameters of the
            // front's), and the health answer is fixed text that calls no
            // application: it alone is given without the secret.
            if pending.role == FastCGIBeginRequest.responder {
                let bytes = pending.params.bytes
                let spans = daemon.configuration.secret.withoutSecret(bytes, decoded)
                if let keep = try answerHealth(pending, RequestDescription(params: bytes, spans: spans)) {
                    return keep
                }
            }
            throw .unproven
        }
        switch pending.role {
        case FastCGIBeginRequest.authorizer:
            return try respondAsAuthorizer(to: pending, spans: spans)
        default:
            precondition(pending.role == FastCGIBeginRequest.responder, "a role in servedRoles has no handler")
            let description = RequestDescription(params: pending.params.bytes, spans: spans)
            if let keep = try answerHealth(pending, description) { return keep }
            let (request, keep) = try respondAsResponder(to: pending, description: description)
            if !keep { drainBody(of: request) }
            return keep
        }
    }

    private func respondAsResponder(
        to pending: Pending,
        description: RequestDescription
    ) throws(FastCGIConnection.Failure) -> (DaemonRequest, Bool) {
        var description = description
        let method = description.value("REQUEST_METHOD") ?? ""
        let uri =
            description.value("REQUEST_URI")
            ?? (description.value("SCRIPT_NAME") ?? "") + (description.value("PATH_INFO") ?? "")
        let request = DaemonRequest(
            server: self,
            requestID: pending.requestID,
            keepConnection: pending.keepConnection,
            headOnly: description.isHeadOnly,
            method: method,
            uri: uri
        )
        // The host's scoreboard hears of every request this worker answers;
        // the end is reported however the request ends.
        let reports = daemon.configuration.reports
        let slot = slot
        defer {
            reports?.requestEnds(
                slot: slot,
                status: request.status,
                bytesIn: request.bodyBytesRead,
                bytesOut: request.bodyBytesWritten
            )
        }
        if let waited = daemon.queueTimeExceeded(description) {
            log.warning(
                "\(method) \(uri) waited \(waited) ms for a worker, longer than queue-timeout "
                    + "\(daemon.configuration.queueTimeoutMilliseconds) ms; answered 503"
            )
            description.withPairs { environ, _ in reports?.requestBegins(slot: slot, environ: environ) }
            return (request, try request.answerError(status: 503))
        }
        // From here request-timeout applies, to starting the application too.
        daemon.requestStarts(slot: slot, method: method, uri: uri, fd: connection.fd)
        let application: StartedApplication
        switch daemon.application(for: &description, last: &lastChoice) {
        case .success(let started):
            application = started
        case .failure:
            daemon.state.end(slot: slot)
            description.withPairs { environ, _ in reports?.requestBegins(slot: slot, environ: environ) }
            return (request, try request.answerError(status: 500))
        }
        let state = daemon.state
        let rc = description.withPairs { environ, headers in
            reports?.requestBegins(slot: slot, environ: environ)
            return request.run(application, environ: environ, headers: headers) { pointer in
                state.setCancellable(
                    slot: slot,
                    pointer.flatMap { pointer in
                        application.cancel.map {
                            DaemonState.Cancellable(cancel: $0, application: application.handle, request: pointer)
                        }
                    }
                )
            }
        }
        let cancelled = state.end(slot: slot)
        return (request, try request.finish(rc, cancelled: cancelled))
    }
}
