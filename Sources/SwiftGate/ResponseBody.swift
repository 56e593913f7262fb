/// Receives a streamed response body.
///
/// A writer is valid while the response is being sent; calls after that
/// throw ``ResponseWriterClosed``.
public protocol ResponseBodyWriter: Sendable {
    /// Hands bytes to the host, which may buffer them.
    ///
    /// - Parameter bytes: The next bytes of the body.
    /// - Throws: When the client went away or the bytes were refused.
    func write(_ bytes: [UInt8]) async throws

    /// Sends what has been written so far to the client now.
    ///
    /// - Throws: When the client went away.
    func flush() async throws
}

extension ResponseBodyWriter {
    /// Writes a string as UTF-8.
    ///
    /// - Parameter string: The text.
    /// - Throws: As ``write(_:)-(_:[UInt8])``.
    public func write(_ string: String) async throws {
        try await write(Array(string.utf8))
    }
}

/// Thrown by a writer used after its response was finished.
public struct ResponseWriterClosed: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "response body writer used after the response ended" }
}

/// A response body: bytes in memory, or a closure that streams them.
public struct ResponseBody: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        case stream(@Sendable (any ResponseBodyWriter) async throws -> Void)
    }

    let storage: Storage

    /// A body of the given bytes.
    ///
    /// - Parameter bytes: The whole body.
    public init(bytes: [UInt8]) {
        storage = .bytes(bytes)
    }

    /// A body of the given text, as UTF-8.
    ///
    /// - Parameter string: The text.
    public init(string: String) {
        storage = .bytes(Array(string.utf8))
    }

    /// A streamed body.
    ///
    /// The closure runs after the head was sent; what it writes goes to the
    /// client as it is written (buffered by the host until it flushes).
    ///
    /// - Parameter write: Writes the body to the writer it is given.
    public init(stream write: @escaping @Sendable (any ResponseBodyWriter) async throws -> Void) {
        storage = .stream(write)
    }

    /// An empty body.
    public static var empty: ResponseBody { ResponseBody(bytes: []) }

    /// The body's length when it is known before it is sent.
    public var knownLength: Int? {
        if case .bytes(let bytes) = storage { return bytes.count }
        return nil
    }

    /// Sends the whole body to a host's sink: bytes in memory directly,
    /// a stream through a writer that is closed when the stream returns.
    ///
    /// - Parameter sink: The destination.
    /// - Throws: What the sink or the stream throws.
    func send(to sink: some ResponseSink) async throws {
        switch storage {
        case .bytes(let bytes):
            if !bytes.isEmpty {
                try await sink.writeBody(bytes, flush: false)
            }
        case .stream(let write):
            let writer = SinkWriter(sink: sink)
            defer { writer.close() }
            try await write(writer)
        }
    }

    /// Writes the whole body to a writer.
    ///
    /// - Parameter writer: The destination.
    /// - Throws: What the writer or the stream throws.
    public func write(to writer: any ResponseBodyWriter) async throws {
        switch storage {
        case .bytes(let bytes):
            if !bytes.isEmpty {
                try await writer.write(bytes)
            }
        case .stream(let write):
            try await write(writer)
        }
    }
}
