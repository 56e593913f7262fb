import NIOCore
import SwiftGate
import Synchronization
import Vapor

/// Vapor's async body writer over SwiftGate's: each buffer is copied once and
/// flushed to the client; an `.error` ends the response cut short.
struct AsyncGatewayBodyWriter: AsyncBodyStreamWriter {
    let writer: any SwiftGate.ResponseBodyWriter

    func write(_ result: BodyStreamResult) async throws {
        switch result {
        case .buffer(let buffer):
            guard buffer.readableBytes > 0 else { return }
            try await writer.write(Array(buffer.readableBytesView))
            try await writer.flush()
        case .end:
            break
        case .error(let error):
            throw error
        }
    }
}

/// Runs a future-based Vapor body stream (`Response.Body(stream:)`,
/// `req.fileio.streamFile`) into a SwiftGate writer.
///
/// The callback writes from Vapor's event loop; the writes are queued and
/// sent from the response's own task (the thread that owns Apache's
/// brigades), each write's promise completed once its bytes were handed on,
/// so the stream is paced by the client.
enum CallbackStreamBridge {
    typealias Item = (result: BodyStreamResult, promise: EventLoopPromise<Void>?)

    /// The writer handed to the callback.
    final class Writer: BodyStreamWriter {
        let eventLoop: any EventLoop
        let continuation: AsyncStream<Item>.Continuation
        /// Set when the response failed: later writes fail at once.
        let failure = Mutex<(any Error)?>(nil)

        init(eventLoop: any EventLoop, continuation: AsyncStream<Item>.Continuation) {
            self.eventLoop = eventLoop
            self.continuation = continuation
        }

        func write(_ result: BodyStreamResult, promise: EventLoopPromise<Void>?) {
            if let error = failure.withLock({ $0 }) {
                promise?.fail(error)
                return
            }
            if case .terminated = continuation.yield((result, promise)) {
                promise?.fail(ResponseWriterClosed())
            }
        }
    }

    /// Streams until the callback writes `.end` (or `.error`, thrown).
    static func run(
        _ callback: @escaping @Sendable (any BodyStreamWriter) -> Void,
        on eventLoop: any EventLoop,
        to writer: any SwiftGate.ResponseBodyWriter
    ) async throws {
        let (items, continuation) = AsyncStream.makeStream(of: Item.self)
        let bridge = Writer(eventLoop: eventLoop, continuation: continuation)
        // Vapor's server starts the callback on the event loop; some
        // callbacks (file streaming) count on it.
        eventLoop.execute { callback(bridge) }
        do {
            for await item in items {
                switch item.result {
                case .buffer(let buffer):
                    if buffer.readableBytes > 0 {
                        try await writer.write(Array(buffer.readableBytesView))
                        try await writer.flush()
                    }
                    item.promise?.succeed(())
                case .end:
                    item.promise?.succeed(())
                    continuation.finish()
                    return
                case .error(let error):
                    item.promise?.succeed(())
                    throw error
                }
            }
        } catch {
            // Fail what is queued and what comes later, so no promise leaks.
            bridge.failure.withLock { $0 = error }
            continuation.finish()
            for await item in items {
                item.promise?.fail(error)
            }
            throw error
        }
    }
}
