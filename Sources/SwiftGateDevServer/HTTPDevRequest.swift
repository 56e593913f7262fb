import CSwiftGate
import SwiftGateHosting

/// One development-server request being served: the `ctx` of the
/// `swiftgate_request` handed to the application.
///
/// The body comes from the connection as the application reads it. The
/// response is held back until the application flushes or returns: a
/// response that ends first goes out with a `Content-Length` (as Apache's
/// content-length filter does), one that flushes goes out with the
/// application's `Content-Length`, or chunked to an HTTP/1.1 client, or
/// delimited by closing the connection for HTTP/1.0.
final class HTTPDevRequest: HostedRequest {
    /// Response bytes buffered before they are sent unflushed.
    static let bufferSize = 16 * 1024

    private let connection: HTTPConnection
    private let head: HTTPRequestHead
    let headOnly: Bool
    /// Whether the connection may serve another request.
    private(set) var keepAlive: Bool
    private let logLine: (Int32, String) -> Void

    private var body: HTTPRequestBody
    private var continueSent = false

    private var status: Int32 = 0
    private var fields: [UInt8] = []
    private var declaredLength: UInt64?
    private var headSent = false
    private var committed = false
    private var chunked = false
    private var pending: [UInt8] = []
    private var written: UInt64 = 0
    private var lengthExceeded = false
    private(set) var connectionFailed = false

    /// The status sent, and the body bytes, for the access log.
    var loggedStatus: Int32 { status }
    var loggedBytes: UInt64 { written }

    init(
        connection: HTTPConnection,
        head: HTTPRequestHead,
        keepAlive: Bool,
        log: @escaping (Int32, String) -> Void
    ) {
        self.connection = connection
        self.head = head
        self.headOnly = head.method == "HEAD"
        self.keepAlive = keepAlive
        self.logLine = log
        self.body = HTTPRequestBody(framing: head.framing)
    }

    // MARK: read_body

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int64 {
        if body.failed || connectionFailed { return Int64(SWIFTGATE_ERR_READ) }
        if body.isComplete { return 0 }
        do {
            if head.expectsContinue, !continueSent, !committed {
                continueSent = true
                try connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            return Int64(try body.read(into: buffer, from: connection))
        } catch {
            keepAlive = false
            logLine(SWIFTGATE_LOG_INFO, "reading the request body failed: \(error)")
            return Int64(SWIFTGATE_ERR_READ)
        }
    }

    // MARK: send_head

    func sendHead(status: Int32, fields: UnsafeBufferPointer<swiftgate_pair>) -> Int32 {
        guard !headSent else { return SWIFTGATE_ERR_STATE }
        guard let checked = ResponseHead.sent(status: status, fields: fields, log: logLine) else {
            return SWIFTGATE_ERR_HEADER
        }
        // The checked head is `Status: …` CRLF, the fields, CRLF: keep the fields.
        let statusLineLength = ResponseHead.statusLine(Int(status)).count
        self.fields = Array(checked.bytes[statusLineLength..<(checked.bytes.count - 2)])
        self.status = status
        declaredLength = checked.contentLength
        headSent = true
        return SWIFTGATE_OK
    }

    // MARK: write_body

    func writeBody(_ data: UnsafeRawBufferPointer, flush: Bool) -> Int32 {
        guard headSent else { return SWIFTGATE_ERR_STATE }
        if connectionFailed { return SWIFTGATE_ERR_CLIENT }
        var data = data
        var result = SWIFTGATE_OK
        if let declared = declaredLength, written + UInt64(data.count) > declared {
            logLine(SWIFTGATE_LOG_ERR, "application wrote more than its Content-Length of \(declared) bytes")
            data = UnsafeRawBufferPointer(rebasing: data[0..<Int(declared - written)])
            lengthExceeded = true
            result = SWIFTGATE_ERR_LENGTH
        }
        written += UInt64(data.count)
        if !headOnly && !Self.hasNoBody(status) { pending.append(contentsOf: data) }
        if flush || pending.count >= Self.bufferSize {
            guard send(final: false) else { return SWIFTGATE_ERR_CLIENT }
        }
        return result
    }

    private static func hasNoBody(_ status: Int32) -> Bool {
        status == 204 || status == 304
    }

    // MARK: sending

    /// The status line and fields, with the framing for the rest.
    private func renderHead(final: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status)"
        if let reason = ResponseHead.reason(Int(status)) { text += " \(reason)" }
        text += "\r\nServer: swiftgate-dev-server\r\n"
        var out = Array(text.utf8)
        out.append(contentsOf: fields)
        if declaredLength == nil && !Self.hasNoBody(status) {
            if final {
                out.append(contentsOf: "Content-Length: \(written)\r\n".utf8)
            } else if head.isHTTP11 {
                chunked = true
                out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            } else {
                keepAlive = false
            }
        }
        if !body.isComplete { keepAlive = false }
        out.append(contentsOf: (keepAlive ? "" : "Connection: close\r\n").utf8)
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    /// Sends the head (the first time) and the pending body bytes.
    ///
    /// - Parameter final: Whether this is the end of the response.
    /// - Returns: false when the connection failed.
    private func send(final: Bool) -> Bool {
        var out: [UInt8] = []
        if !committed {
            committed = true
            out = renderHead(final: final)
        }
        if chunked {
            if !pending.isEmpty {
                out.append(contentsOf: String(pending.count, radix: 16).utf8)
                out.append(contentsOf: "\r\n".utf8)
                out.append(contentsOf: pending)
                out.append(contentsOf: "\r\n".utf8)
            }
            if final { out.append(contentsOf: "0\r\n\r\n".utf8) }
        } else {
            out.append(contentsOf: pending)
        }
        pending.removeAll(keepingCapacity: true)
        guard !out.isEmpty else { return true }
        do {
            try connection.write(out)
            return true
        } catch {
            connectionFailed = true
            keepAlive = false
            logLine(SWIFTGATE_LOG_INFO, "writing the response failed: \(error)")
            return false
        }
    }

    // MARK: the end of the request

    /// Ends the request after `swiftgate_handle` returned `rc`.
    ///
    /// - Returns: Whether the connection can serve another request.
    func finish(_ rc: Int32) -> Bool {
        if connectionFailed { return false }
        if rc == SWIFTGATE_OK && !headSent {
            logLine(SWIFTGATE_LOG_ERR, "the application returned without a response")
            return answerError(status: 500)
        }
        if rc == SWIFTGATE_OK, !lengthExceeded, let declared = declaredLength, written < declared {
            logLine(SWIFTGATE_LOG_ERR, "application declared Content-Length \(declared) but wrote \(written) bytes")
            if !committed { return answerError(status: 500) }
            _ = send(final: false)
            return false
        }
        if rc == SWIFTGATE_OK && !lengthExceeded {
            return send(final: true) && keepAlive
        }
        if !committed {
            return answerError(status: (400...599).contains(rc) ? Int(rc) : 500)
        }
        // Part of the response is out: send what is buffered and close
        // without the last chunk, so the client sees the cut.
        chunked = false
        _ = send(final: false)
        logLine(SWIFTGATE_LOG_WARNING, "response cut after it had started; closing the connection")
        return false
    }

    /// Answers with the server's own plain-text error response.
    ///
    /// - Returns: Whether the connection can serve another request.
    func answerError(status: Int) -> Bool {
        self.status = Int32(status)
        committed = true
        let reason = ResponseHead.reason(status) ?? "Error"
        let text = headOnly ? "" : "\(reason)\n"
        if !body.isComplete { keepAlive = false }
        var out = "HTTP/1.1 \(status) \(reason)\r\nServer: swiftgate-dev-server\r\n"
        out += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(reason.utf8.count + 1)\r\n"
        out += keepAlive ? "\r\n" : "Connection: close\r\n\r\n"
        do {
            try connection.write(Array((out + text).utf8))
        } catch {
            return false
        }
        return keepAlive
    }

    func logFromApplication(_ level: Int32, _ message: UnsafeRawBufferPointer) {
        logLine(level, String(decoding: message, as: UTF8.self))
    }
}
