import Glibc
import SwiftGateFastCGI
import SwiftGateHosting

/// One accepted FastCGI connection: reads whole records and writes bytes,
/// every wait bounded by poll() and the socket timeout.
///
/// Used by one worker thread at a time. Between requests a kept-alive
/// connection waits in the ``ConnectionPoller``, not in a worker.
final class FastCGIConnection {
    /// What reading the next record gave.
    enum Read {
        case record(FastCGIRecordHeader, [UInt8])
        /// The peer closed the connection between records.
        case closed
    }

    /// Why the connection cannot go on.
    enum Failure: Error, CustomStringConvertible {
        case timeout
        case closedMidRecord
        case system(PosixError)
        case malformed(FastCGIError)
        /// A request without the daemon's secret: not from its host.
        case unproven

        var description: String {
            switch self {
            case .timeout: "timed out"
            case .closedMidRecord: "the peer closed the connection inside a record"
            case .system(let error): "\(error)"
            case .malformed(let error): "malformed FastCGI input: \(error)"
            case .unproven:
                "a request did not carry this daemon's secret (swiftgate.secret): "
                    + "only its host may send requests; the parameters were not read"
            }
        }
    }

    let fd: Int32
    private var timeout: Int32
    /// Received bytes not yet handed out, from `start` to `end`.
    /// Empty while the connection is parked between requests: a front-end
    /// keeps many connections open, and only those being served need one.
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0

    /// Wraps an accepted, non-blocking socket.
    ///
    /// - Parameters:
    ///   - fd: The socket; closed by ``close()``.
    ///   - timeoutMilliseconds: The longest one read or write waits.
    init(fd: Int32, timeoutMilliseconds: UInt64) {
        self.fd = fd
        self.timeout = Int32(clamping: timeoutMilliseconds)
        // One whole record (header, 65535 content, 255 padding) always fits.
    }

    /// Room for one whole record (header, 65535 content, 255 padding) and
    /// more; below glibc's mmap threshold, so taking it is cheap.
    static let bufferSize = 80 * 1024

    /// Whether received bytes wait to be read as records.
    var hasBufferedInput: Bool { end > start }

    /// Gives the read buffer back when nothing waits in it (before the
    /// connection is parked); the next read takes a new one.
    func releaseBuffer() {
        guard end == start else { return }
        buffer = []
        start = 0
        end = 0
    }

    /// Reads the next whole record.
    ///
    /// - Parameter waitMilliseconds: The longest one wait lasts, if not the
    ///   socket timeout.
    /// - Throws: A ``Failure`` when the connection cannot go on.
    func nextRecord(waitMilliseconds: Int32? = nil) throws(Failure) -> Read {
        let socketTimeout = timeout
        if let waitMilliseconds { timeout = waitMilliseconds }
        defer { timeout = socketTimeout }
        while end - start < FastCGIRecordHeader.size {
            let atBoundary = end == start
            switch try fill() {
            case .data: continue
            case .endOfFile: if atBoundary { return .closed } else { throw .closedMidRecord }
            }
        }
        let header: FastCGIRecordHeader
        do {
            header = try FastCGIRecordHeader(parsing: Array(buffer[start..<start + FastCGIRecordHeader.size]))
        } catch {
            throw .malformed(error)
        }
        let total = FastCGIRecordHeader.size + header.bodyLength
        while end - start < total {
            switch try fill() {
            case .data: continue
            case .endOfFile: throw .closedMidRecord
            }
        }
        let contentStart = start + FastCGIRecordHeader.size
        let content = Array(buffer[contentStart..<contentStart + Int(header.contentLength)])
        start += total
        if start == end {
            start = 0
            end = 0
        }
        return .record(header, content)
    }

    private enum Fill {
        case data
        case endOfFile
    }

    /// Waits for and reads more bytes.
    private func fill() throws(Failure) -> Fill {
        if buffer.isEmpty {
            // Bytes are read in before they are looked at: no need to zero.
            buffer = [UInt8](unsafeUninitializedCapacity: Self.bufferSize) { _, count in count = Self.bufferSize }
        }
        if end == buffer.count {
            // Move the partial record to the front to make room.
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: end - start)
            }
            end -= start
            start = 0
        }
        let count = buffer.withUnsafeMutableBytes { raw in
            recv(fd, raw.baseAddress! + end, raw.count - end, 0)
        }
        if count > 0 {
            end += count
            return .data
        }
        if count == 0 { return .endOfFile }
        guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { throw .system(.current) }
        // Nothing yet: wait for it, then read.
        var watch = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&watch, 1, timeout)
        if ready < 0 {
            if errno == EINTR { return .data }
            throw .system(.current)
        }
        if ready == 0 { throw .timeout }
        return .data
    }

    /// Writes all of `bytes`.
    ///
    /// - Throws: A ``Failure`` when the peer is gone or too slow.
    func send(_ bytes: [UInt8]) throws(Failure) {
        let result: Result<Void, Failure> = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                    continue
                }
                if sent < 0, errno == EINTR { continue }
                guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK else {
                    return .failure(.system(.current))
                }
                var out = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&out, 1, timeout)
                if ready == 0 { return .failure(.timeout) }
                if ready < 0, errno != EINTR { return .failure(.system(.current)) }
            }
            return .success(())
        }
        try result.get()
    }

    /// Closes the socket.
    func close() {
        _ = Glibc.close(fd)
    }
}
