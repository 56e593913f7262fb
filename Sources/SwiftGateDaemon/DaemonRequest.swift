import CSwiftGate
import SwiftGateFastCGI
import SwiftGateHosting

/// One request being served: the `ctx` of the `swiftgate_request` handed to
/// the application, with the callbacks over the FastCGI connection.
///
/// The request body comes from STDIN records as the application reads it;
/// the response head and body go out as STDOUT records, buffered up to
/// ``stdoutBufferSize`` unless flushed. Everything runs on the worker thread
/// that called `swiftgate_handle`.
final class DaemonRequest: HostedRequest {
    /// Response bytes buffered before STDOUT records are sent.
    static let stdoutBufferSize = 16 * 1024

    private unowned let server: ConnectionServer
    let requestID: UInt16
    let keepConnection: Bool
    let headOnly: Bool
    let method: String
    let uri: String
    /// `METHOD URI`, for log lines.
    var label: String { "\(method) \(uri)" }

    // The request body.
    private var leftover: [UInt8] = []
    private var leftoverOffset = 0
    private(set) var bodyEnded = false
    private(set) var aborted = false

    // The response.
    private var headSent = false
    private var declaredLength: UInt64?
    private var written: UInt64 = 0
    private var pending: [UInt8] = []
    private var onWire = false
    private var lengthExceeded = false
    private(set) var connectionFailed = false

    // What the status page counts.
    /// The status sent (the application's, or the daemon's own error
    /// answer's); 0 before any.
    private(set) var status = 0
    private(set) var bodyBytesRead: UInt64 = 0
    var bodyBytesWritten: UInt64 { written }

    init(server: ConnectionServer, requestID: UInt16, keepConnection: Bool, headOnly: Bool, method: String, uri: String)
    {
        self.server = server
        self.requestID = requestID
        self.keepConnection = keepConnection
        self.headOnly = headOnly
        self.method = method
        self.uri = uri
    }

    private func log(_ level: Int32, _ message: String) {
        server.log.log(level, "\(label): \(message)")
    }

    // MARK: read_body

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int64 {
        if aborted || connectionFailed { return Int64(SWIFTGATE_ERR_CLIENT) }
        while leftoverOffset == leftover.count {
            if bodyEnded { return 0 }
            do {
                switch try server.nextBodyRecord(for: requestID) {
                case .content(let bytes) where bytes.isEmpty:
                    bodyEnded = true
                    server.daemon.state.noteBodyEnded(slot: server.slot)
                    return 0
                case .content(let bytes):
                    leftover = bytes
                    leftoverOffset = 0
                case .aborted:
                    aborted = true
                    log(SWIFTGATE_LOG_INFO, "the front-end aborted the request")
                    return Int64(SWIFTGATE_ERR_CLIENT)
                }
            } catch {
                connectionFailed = true
                server.noteFailure(error, during: "reading the request body of \(label)")
                switch error {
                case .closedMidRecord, .system: return Int64(SWIFTGATE_ERR_CLIENT)
                default: return Int64(SWIFTGATE_ERR_READ)
                }
            }
        }
        let count = min(buffer.count, leftover.count - leftoverOffset)
        leftover.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + leftoverOffset, byteCount: count)
        }
        leftoverOffset += count
        bodyBytesRead += UInt64(count)
        return Int64(count)
    }

    // MARK: send_head

    func sendHead(status: Int32, fields: UnsafeBufferPointer<swiftgate_pair>) -> Int32 {
        guard !headSent else { return SWIFTGATE_ERR_STATE }
        // Past request-timeout the answer is 504, whatever the task made of
        // its cancellation.
        if server.daemon.state.cancelReason(slot: server.slot) == .requestTimeout { return SWIFTGATE_ERR_CLIENT }
        guard let head = ResponseHead.sent(status: status, fields: fields, log: log) else {
            return SWIFTGATE_ERR_HEADER
        }
        headSent = true
        self.status = Int(status)
        declaredLength = head.contentLength
        if pending.isEmpty {
            pending = head.bytes  // the head's own buffer, with room for the body
        } else {
            pending.append(contentsOf: head.bytes)
        }
        return SWIFTGATE_OK
    }

    // MARK: write_body

    func writeBody(_ data: UnsafeRawBufferPointer, flush: Bool) -> Int32 {
        guard headSent else { return SWIFTGATE_ERR_STATE }
        if aborted || connectionFailed { return SWIFTGATE_ERR_CLIENT }
        var data = data
        var result = SWIFTGATE_OK
        if !headOnly, let declared = declaredLength, written + UInt64(data.count) > declared {
            log(
                SWIFTGATE_LOG_ERR,
                "application wrote more than its Content-Length of \(declared) bytes; response cut short"
            )
            data = UnsafeRawBufferPointer(rebasing: data[0..<Int(declared - written)])
            lengthExceeded = true
            result = SWIFTGATE_ERR_LENGTH
        }
        written += UInt64(data.count)
        if headOnly { data = UnsafeRawBufferPointer(start: nil, count: 0) }
        if flush || pending.count + data.count >= Self.stdoutBufferSize {
            guard sendStdout(extra: data) else { return SWIFTGATE_ERR_CLIENT }
        } else {
            pending.append(contentsOf: data)
        }
        return result
    }

    /// Sends the buffered bytes and `extra` as STDOUT records.
    private func sendStdout(extra: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> Bool {
        guard !pending.isEmpty || !extra.isEmpty else { return true }
        var out: [UInt8] = []
        out.reserveCapacity(pending.count + extra.count + 64)
        FastCGIRecordEncoder.append(type: .stdout, requestID: requestID, content: pending, into: &out)
        if !extra.isEmpty {
            FastCGIRecordEncoder.append(type: .stdout, requestID: requestID, content: extra, into: &out)
        }
        pending.removeAll(keepingCapacity: true)
        do {
            try server.connection.send(out)
            onWire = true
            return true
        } catch {
            connectionFailed = true
            server.noteFailure(error, during: "sending the response to \(label)")
            return false
        }
    }

    // MARK: log

    func logFromApplication(_ level: Int32, _ message: UnsafeRawBufferPointer) {
        log(level, String(decoding: message, as: UTF8.self))
    }

    // MARK: the end of the request

    /// Ends the request after `swiftgate_handle` returned `rc`.
    ///
    /// - Parameters:
    ///   - rc: What `swiftgate_handle` returned.
    ///   - cancelled: Why the request's task was cancelled, if it was.
    /// - Returns: Whether the connection can serve another request.
    /// - Throws: When the connection failed.
    func finish(_ rc: Int32, cancelled: DaemonState.CancelReason? = nil) throws(FastCGIConnection.Failure) -> Bool {
        if connectionFailed { return false }
        if cancelled == .requestTimeout {
            log(SWIFTGATE_LOG_INFO, "ended after its task was cancelled at request-timeout; answered 504")
            if onWire {
                _ = sendStdout()
                return false
            }
            return try answerError(status: 504)
        }
        if aborted {
            try server.endRequest(requestID, protocolStatus: UInt8(SWIFTGATE_FCGI_REQUEST_COMPLETE))
            return keepConnection
        }
        if rc == SWIFTGATE_OK && !headSent {
            log(SWIFTGATE_LOG_ERR, "the application returned without a response")
            return try answerError(status: 500)
        }
        if rc == SWIFTGATE_OK && !headOnly && !lengthExceeded, let declared = declaredLength, written < declared {
            log(SWIFTGATE_LOG_ERR, "application declared Content-Length \(declared) but wrote \(written) bytes")
            if !onWire { return try answerError(status: 500) }
            _ = sendStdout()
            return false
        }
        if rc == SWIFTGATE_OK && !lengthExceeded {
            // What is buffered, the end of STDOUT and END_REQUEST: one write,
            // so the front-end reads the whole end of the response at once.
            var out: [UInt8] = []
            out.reserveCapacity(pending.count + 64)
            FastCGIRecordEncoder.appendResponseEnd(stdout: pending, requestID: requestID, into: &out)
            pending.removeAll(keepingCapacity: true)
            try server.connection.send(out)
            return keepConnection
        }
        // The application failed.
        if !onWire {
            let status = (400...599).contains(rc) ? Int(rc) : 500
            return try answerError(status: status)
        }
        // Part of the response is out: send what is buffered and close the
        // connection without END_REQUEST, so the front-end sees the cut.
        _ = sendStdout()
        log(SWIFTGATE_LOG_WARNING, "response cut after it had started; closing the connection")
        return false
    }

    /// Drops anything buffered and answers with the daemon's own error
    /// response.
    ///
    /// - Returns: Whether the connection can serve another request.
    func answerError(status: Int) throws(FastCGIConnection.Failure) -> Bool {
        self.status = status
        pending.removeAll()
        try server.sendResponse(
            ResponseHead.errorResponse(status: status, headOnly: headOnly),
            requestID: requestID
        )
        return keepConnection
    }
}
