import HTTPTypes
import SwiftGate
import Synchronization

/// A `ResponseSink` that records everything it is sent: the host behind
/// `Application.test`.
package final class RecordingSink: ResponseSink {
    private struct State {
        var head: (HTTPResponse.Status, HTTPFields)?
        var writes: [[UInt8]] = []
        var flushes = 0
        var headCount = 0
    }

    private let state = Mutex(State())

    /// Creates an empty sink.
    package init() {}

    package func sendHead(status: HTTPResponse.Status, headerFields: HTTPFields) async throws {
        state.withLock {
            $0.head = (status, headerFields)
            $0.headCount += 1
        }
    }

    package func writeBody(_ bytes: [UInt8], flush: Bool) async throws {
        state.withLock {
            if !bytes.isEmpty { $0.writes.append(bytes) }
            if flush { $0.flushes += 1 }
        }
    }

    /// How many times a head was sent (the driver must send exactly one).
    package var headCount: Int { state.withLock { $0.headCount } }

    /// The response recorded so far, given how serving ended.
    ///
    /// - Parameter outcome: What ``Application/serve(_:to:)`` returned.
    /// - Returns: The recorded response.
    package func response(outcome: ServeOutcome) -> TestResponse {
        state.withLock { s in
            var status = s.head?.0 ?? .internalServerError
            if case .failedBeforeHead(let code) = outcome {
                status = HTTPResponse.Status(code: code)
            }
            return TestResponse(
                outcome: outcome,
                status: status,
                headerFields: s.head?.1 ?? [:],
                body: s.writes.flatMap { $0 },
                writes: s.writes,
                flushes: s.flushes
            )
        }
    }
}
