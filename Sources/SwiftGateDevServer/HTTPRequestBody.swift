/// The body of one development-server request, read from the connection as
/// the application asks for it: `Content-Length` bytes, or chunked
/// transfer coding decoded (chunk extensions and trailers are dropped).
struct HTTPRequestBody {
    /// The longest chunk-size or trailer line accepted.
    static let lineLimit = 8 * 1024

    private enum State {
        case length(remaining: UInt64)
        /// Inside a chunk with this many bytes left.
        case chunk(remaining: UInt64)
        /// Before a chunk-size line (after the CRLF of the last chunk
        /// unless `first`).
        case chunkSize(first: Bool)
        case done
    }

    private var state: State
    /// Whether reading failed: the connection cannot be reused.
    private(set) var failed = false

    init(framing: HTTPRequestHead.BodyFraming) {
        switch framing {
        case .none: state = .done
        case .length(let length): state = .length(remaining: length)
        case .chunked: state = .chunkSize(first: true)
        }
    }

    /// Whether all of the body was read.
    var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Reads up to `buffer.count` body bytes.
    ///
    /// - Returns: The count read, 0 at the end of the body.
    /// - Throws: A connection failure, or ``HTTPConnection/Failure/closed``
    ///   for a malformed chunked body.
    mutating func read(
        into buffer: UnsafeMutableRawBufferPointer,
        from connection: HTTPConnection
    ) throws(HTTPConnection.Failure) -> Int {
        do throws(HTTPConnection.Failure) {
            while true {
                switch state {
                case .done:
                    return 0
                case .length(let remaining):
                    let count = try connection.read(into: buffer, maximum: Int(clamping: remaining))
                    state = remaining == UInt64(count) ? .done : .length(remaining: remaining - UInt64(count))
                    return count
                case .chunk(let remaining):
                    let count = try connection.read(into: buffer, maximum: Int(clamping: remaining))
                    state =
                        remaining == UInt64(count)
                        ? .chunkSize(first: false) : .chunk(remaining: remaining - UInt64(count))
                    return count
                case .chunkSize(let first):
                    if !first {
                        guard try connection.readLine(limit: 2).isEmpty else { throw HTTPConnection.Failure.closed }
                    }
                    let size = try Self.chunkSize(try connection.readLine(limit: Self.lineLimit))
                    if size == 0 {
                        while !(try connection.readLine(limit: Self.lineLimit)).isEmpty {}
                        state = .done
                        return 0
                    }
                    state = .chunk(remaining: size)
                }
            }
        } catch {
            failed = true
            throw error
        }
    }

    /// The size of a chunk-size line: hex digits, then optional
    /// extensions after `;`.
    private static func chunkSize(_ line: [UInt8]) throws(HTTPConnection.Failure) -> UInt64 {
        let digits = line.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard !digits.isEmpty, digits.count <= 15 else { throw .closed }
        var size: UInt64 = 0
        for byte in digits {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = byte - UInt8(ascii: "A") + 10
            default: throw .closed
            }
            size = size << 4 | UInt64(value)
        }
        return size
    }
}
