import HTTPTypes
import Hummingbird
import NIOCore
import SwiftGate

/// Hummingbird's response body writer over SwiftGate's: each write goes to
/// the client at once, as Hummingbird's own server sends it.
///
/// Each buffer is copied once into the `[UInt8]` SwiftGate's writer takes.
/// Trailing fields are dropped: the gateway interface has none.
struct GatewayBodyWriter: Hummingbird.ResponseBodyWriter {
    let writer: any SwiftGate.ResponseBodyWriter

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await writer.write(Array(buffer.readableBytesView))
        try await writer.flush()
    }

    mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
        for buffer in buffers where buffer.readableBytes > 0 {
            try await writer.write(Array(buffer.readableBytesView))
        }
        try await writer.flush()
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// A writer that gathers a short body of known length in memory, so it can
/// be handed to SwiftGate as bytes (sent with the head, no writer object).
final class CollectingBodyWriter: Hummingbird.ResponseBodyWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    func write(_ buffer: ByteBuffer) async throws {
        bytes.append(contentsOf: buffer.readableBytesView)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
