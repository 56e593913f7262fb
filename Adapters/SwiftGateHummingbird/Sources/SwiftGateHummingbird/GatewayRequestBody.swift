import NIOCore
import SwiftGate

/// A SwiftGate request body as the `ByteBuffer` sequence Hummingbird reads.
///
/// Each chunk is read from Apache when Hummingbird asks for it, so a body is
/// never held whole. Each chunk is copied once, from the `[UInt8]` SwiftGate
/// hands over into a `ByteBuffer`: the two types cannot share storage.
struct GatewayRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let body: SwiftGate.RequestBody

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: SwiftGate.RequestBody.AsyncIterator

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await chunks.next() else { return nil }
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: body.makeAsyncIterator())
    }
}
