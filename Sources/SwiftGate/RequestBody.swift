import Synchronization

/// Where a request body's bytes come from; hosts implement it.
///
/// A source is read once, front to back, by one reader at a time.
public protocol RequestBodySource: Sendable {
    /// Reads the next chunk of the body.
    ///
    /// - Returns: The next bytes, or `nil` at the end of the body.
    /// - Throws: When the body cannot be read (the client went away, a bad
    ///   chunked encoding, a body over the server's limit).
    func read() async throws -> [UInt8]?
}

/// A request body, read on demand as an asynchronous sequence of chunks.
///
/// The body is never buffered whole by SwiftGate: each iteration reads the
/// next chunk from the client. Use ``collect(upTo:)`` for small bodies.
public struct RequestBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let source: any RequestBodySource

    /// Creates a body read from a host's source.
    ///
    /// - Parameter source: The source of the bytes.
    public init(source: some RequestBodySource) {
        self.source = source
    }

    /// Creates a body that yields the given bytes as one chunk.
    ///
    /// - Parameter bytes: The whole body.
    public init(bytes: [UInt8]) {
        self.source = ChunkedBytesSource(chunks: bytes.isEmpty ? [] : [bytes])
    }

    /// Creates a body that yields the given chunks in order.
    ///
    /// - Parameter chunks: The body's chunks.
    public init(chunks: [[UInt8]]) {
        self.source = ChunkedBytesSource(chunks: chunks)
    }

    /// An empty body.
    public static var empty: RequestBody { RequestBody(chunks: []) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: any RequestBodySource

        public mutating func next() async throws -> [UInt8]? {
            try await source.read()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: source)
    }

    /// Reads the whole body into memory.
    ///
    /// - Parameter maxSize: The most bytes to accept.
    /// - Returns: The body's bytes.
    /// - Throws: ``RequestBodyTooLarge`` past `maxSize`, or a read error.
    public func collect(upTo maxSize: Int) async throws -> [UInt8] {
        var all: [UInt8] = []
        for try await chunk in self {
            guard all.count + chunk.count <= maxSize else {
                throw RequestBodyTooLarge(limit: maxSize)
            }
            all.append(contentsOf: chunk)
        }
        return all
    }
}

/// Thrown by ``RequestBody/collect(upTo:)`` when a body passes its limit.
public struct RequestBodyTooLarge: Error, Sendable, CustomStringConvertible {
    /// The limit that was passed, in bytes.
    public let limit: Int

    public var description: String { "request body larger than \(limit) bytes" }
}

/// A source over chunks held in memory.
final class ChunkedBytesSource: RequestBodySource {
    private let state: Mutex<ArraySlice<[UInt8]>>

    init(chunks: [[UInt8]]) {
        state = Mutex(chunks[...])
    }

    func read() async throws -> [UInt8]? {
        state.withLock { $0.popFirst() }
    }
}
