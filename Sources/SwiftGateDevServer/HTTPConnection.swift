import Glibc
import SwiftGateHosting

/// One accepted HTTP connection of the development server: buffered reads
/// of a request head, of lines and of body bytes, and writes of whole byte
/// buffers, every wait bounded by poll().
///
/// Used by the one worker thread that accepted it. While waiting for the
/// next request the connection also watches the server's wake pipe, so an
/// idle keep-alive connection never holds up a stop.
final class HTTPConnection {
    /// Why the connection cannot go on.
    enum Failure: Error, CustomStringConvertible {
        case timeout
        case closed
        case tooLarge
        case system(PosixError)

        var description: String {
            switch self {
            case .timeout: "timed out"
            case .closed: "the client closed the connection"
            case .tooLarge: "a line or head was longer than allowed"
            case .system(let error): "\(error)"
            }
        }
    }

    /// What waiting for the next request head gave.
    enum HeadRead {
        case head([UInt8])
        /// The client closed, stayed idle past the keep-alive timeout, or
        /// the server is stopping while the connection was idle.
        case idle
        /// The head was not whole by its deadline. `partial`: some of a
        /// request line or field had come (answer 408), not just empty
        /// lines.
        case tooSlow(partial: Bool)
    }

    let fd: Int32
    private let wakeFD: Int32
    private let timeout: Int32
    /// Received bytes not yet handed out, from `start` to the end.
    private var buffer: [UInt8] = []
    private var start = 0

    /// Wraps an accepted, non-blocking socket.
    ///
    /// - Parameters:
    ///   - fd: The socket; closed by ``close()``.
    ///   - timeoutMilliseconds: The longest one read or write waits.
    ///   - wakeFD: Readable once the server stops.
    init(fd: Int32, timeoutMilliseconds: Int32, wakeFD: Int32) {
        self.fd = fd
        self.timeout = timeoutMilliseconds
        self.wakeFD = wakeFD
    }

    private var available: Int { buffer.count - start }

    /// Reads more bytes into the buffer.
    ///
    /// - Parameters:
    ///   - wait: The longest wait in milliseconds.
    ///   - watchWake: Whether a stopping server ends the wait (returns false).
    /// - Returns: false at end of stream (or when woken).
    private func fill(wait: Int32, watchWake: Bool) throws(Failure) -> Bool {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 64 * 1024 {
            buffer.removeFirst(start)
            start = 0
        }
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: watchWake ? wakeFD : -1, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&fds, 2, wait)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system(.current)
            }
            if ready == 0 { throw .timeout }
            if fds[1].revents != 0 && fds[0].revents == 0 { return false }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK { continue }
                if errno == ECONNRESET { return false }
                throw .system(.current)
            }
            if count == 0 { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
    }

    /// Reads the next request head: everything up to and including the
    /// first empty line, with empty lines before the request line skipped.
    ///
    /// The wait for the head's first byte (empty lines included) is
    /// `idleMilliseconds`; from that byte on, the whole head must arrive
    /// within `deadlineMilliseconds`, however the client spaces its bytes,
    /// so a client sending one byte now and then cannot hold the worker.
    ///
    /// - Parameters:
    ///   - limit: The most bytes a head may have.
    ///   - idleMilliseconds: How long to wait for its first byte.
    ///   - deadlineMilliseconds: How long the whole head may take from its
    ///     first byte.
    /// - Returns: The head's bytes, or why there is none.
    /// - Throws: ``Failure/tooLarge`` past `limit`; a failure of the socket.
    func readHead(limit: Int, idleMilliseconds: Int32, deadlineMilliseconds: Int32) throws(Failure) -> HeadRead {
        // Bytes of a pipelined request may be here already: they start the clock.
        var deadline: UInt64? =
            available > 0 ? PosixClock.monotonicMilliseconds() + UInt64(deadlineMilliseconds) : nil
        var scanned = 0
        while true {
            while available > 0, buffer[start] == UInt8(ascii: "\r") || buffer[start] == UInt8(ascii: "\n") {
                start += 1
            }
            if let end = headEnd(from: scanned) {
                if end - start > limit { throw .tooLarge }
                let head = Array(buffer[start..<end])
                start = end
                return .head(head)
            }
            scanned = max(0, available - 3)
            if available > limit { throw .tooLarge }
            var wait = idleMilliseconds
            if let deadline {
                let now = PosixClock.monotonicMilliseconds()
                guard now < deadline else { return .tooSlow(partial: available > 0) }
                wait = Int32(min(UInt64(timeout), deadline - now))
            }
            do throws(Failure) {
                guard try fill(wait: wait, watchWake: available == 0) else {
                    if available == 0 { return .idle }
                    throw .closed
                }
            } catch .timeout {
                // Past the deadline: the check above answers. Otherwise the
                // socket timeout (shorter than the deadline) ran out.
                guard let deadline, PosixClock.monotonicMilliseconds() >= deadline else {
                    if available == 0 { return .idle }
                    throw .timeout
                }
                continue
            }
            if deadline == nil { deadline = PosixClock.monotonicMilliseconds() + UInt64(deadlineMilliseconds) }
        }
    }

    /// The index after the head's empty line (CRLF CRLF, or LF LF).
    private func headEnd(from offset: Int) -> Int? {
        var index = start + offset
        while index < buffer.count {
            if buffer[index] == UInt8(ascii: "\n") {
                if index + 1 < buffer.count, buffer[index + 1] == UInt8(ascii: "\n") { return index + 2 }
                if index + 2 < buffer.count, buffer[index + 1] == UInt8(ascii: "\r"),
                    buffer[index + 2] == UInt8(ascii: "\n")
                {
                    return index + 3
                }
            }
            index += 1
        }
        return nil
    }

    /// Reads one line, without its CRLF or LF.
    ///
    /// - Parameter limit: The most bytes the line may have.
    /// - Throws: ``Failure/tooLarge`` past `limit`, ``Failure/closed`` at
    ///   end of stream; a failure of the socket.
    func readLine(limit: Int) throws(Failure) -> [UInt8] {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[start..<newline])
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                start = newline + 1
                return line
            }
            if available > limit { throw .tooLarge }
            guard try fill(wait: timeout, watchWake: false) else { throw .closed }
        }
    }

    /// Reads up to `buffer.count` bytes (at least one).
    ///
    /// - Throws: ``Failure/closed`` at end of stream; a failure of the socket.
    func read(into target: UnsafeMutableRawBufferPointer, maximum: Int) throws(Failure) -> Int {
        if available == 0 {
            guard try fill(wait: timeout, watchWake: false) else { throw .closed }
        }
        let count = min(maximum, target.count, available)
        buffer.withUnsafeBytes { source in
            target.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: count)
        }
        start += count
        return count
    }

    /// Writes all of `bytes`.
    ///
    /// - Throws: ``Failure/timeout`` when the client reads nothing for the
    ///   socket timeout; a failure of the socket.
    func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let count = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if count >= 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                var fds = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
                let ready = poll(&fds, 1, timeout)
                if ready == 0 { throw .timeout }
                if ready < 0, errno != EINTR { throw .system(.current) }
            default:
                throw .system(.current)
            }
        }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws(Failure) {
        let failure: Failure? = bytes.withUnsafeBytes { raw in
            do throws(Failure) {
                try write(raw)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Closes the connection the way Apache's lingering close does: stops
    /// sending, then reads and drops what the client still sends for a
    /// moment, so unread request bytes do not turn the close into a reset
    /// that could destroy the response on its way.
    func close() {
        shutdown(fd, Int32(SHUT_WR))
        let deadline = PosixClock.monotonicMilliseconds() + 2000
        var dropped = 0
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while dropped < 1 << 20 {
            let now = PosixClock.monotonicMilliseconds()
            guard now < deadline else { break }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, Int32(deadline - now)) > 0 else { break }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            if count <= 0 { break }
            dropped += count
        }
        Glibc.close(fd)
    }
}
