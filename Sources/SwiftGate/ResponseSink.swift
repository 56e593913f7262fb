import HTTPTypes
import Logging
import Synchronization

/// Where a host sends a response: its head once, then body bytes.
///
/// Embedded mode implements it over Apache's output filters, daemon mode
/// over FastCGI records, tests over memory. ``Application/serve(_:to:)``
/// drives it. Only hosts implement it, and all of them are in this package.
package protocol ResponseSink: Sendable {
    /// Sends the status and header fields; called once, before any body.
    ///
    /// - Parameters:
    ///   - status: The status.
    ///   - headerFields: The header fields.
    /// - Throws: When the host refuses the head or the client went away.
    func sendHead(status: HTTPResponse.Status, headerFields: HTTPFields) async throws

    /// Sends body bytes.
    ///
    /// - Parameters:
    ///   - bytes: The bytes; may be empty when only flushing.
    ///   - flush: Whether to push buffered bytes to the client now.
    /// - Throws: When the client went away or the bytes were refused.
    func writeBody(_ bytes: [UInt8], flush: Bool) async throws
}

/// How serving one request ended.
package enum ServeOutcome: Sendable, Equatable {
    /// The whole response was handed to the sink.
    case complete
    /// Nothing was sent; the host should answer with this status.
    case failedBeforeHead(status: Int)
    /// The head (and maybe some body) was sent, then it failed; the host
    /// must end the response so that the client sees it was cut short.
    case failedAfterHead
}

extension Application {
    /// Serves one request to a sink: the gateway's whole request cycle.
    ///
    /// Calls ``Application/respond(to:)``, adds `Content-Length` to bodies of
    /// known length (and refuses a wrong one), sends the head, writes the
    /// body, and runs the request's finish hooks exactly once whatever
    /// happened. Errors are logged through the request's logger.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - sink: Where the response goes.
    /// - Returns: How it ended.
    package func serve(_ request: Request, to sink: some ResponseSink) async -> ServeOutcome {
        let outcome = await produce(request, to: sink)
        await request.context.finish()
        return outcome
    }

    private func produce(_ request: Request, to sink: some ResponseSink) async -> ServeOutcome {
        // For log lines only: built when one is written.
        var logger: Logger { request.logger }
        func what() -> String { "\(request.method.rawValue) \(request.target)" }
        var response: Response
        do {
            response = try await respond(to: request)
        } catch {
            if Self.isAbandonment(error) {
                logger.info("\(what()) ended early: \(Self.abandonmentReason(error))")
            } else {
                logger.error("application error in \(what()): \(error)")
            }
            return .failedBeforeHead(status: 500)
        }
        // Changed in place: the response holds the only reference to its
        // fields, so adding Content-Length copies nothing.
        if let length = response.body.knownLength, Self.statusAllowsBody(response.status) {
            if let declared = Self.contentLength(of: response.headerFields) {
                guard declared == String(length) else {
                    logger.error(
                        "response to \(what()) declares Content-Length \(declared) but its body has \(length) bytes"
                    )
                    return .failedBeforeHead(status: 500)
                }
            } else {
                response.headerFields[.contentLength] = String(length)
            }
        }
        do {
            try await sink.sendHead(status: response.status, headerFields: response.headerFields)
        } catch {
            if Self.isAbandonment(error) {
                logger.info("response head for \(what()) not sent: \(Self.abandonmentReason(error))")
            } else {
                logger.error("response head for \(what()) refused: \(error)")
            }
            return .failedBeforeHead(status: 500)
        }
        do {
            try await response.body.send(to: sink)
        } catch {
            if Self.isAbandonment(error) {
                logger.info("response body for \(what()) ended early: \(Self.abandonmentReason(error))")
            } else {
                logger.error("response body for \(what()) failed: \(error)")
            }
            return .failedAfterHead
        }
        return .complete
    }

    /// Whether a request failed because nobody waits for it any more: the
    /// client went away, or the host cancelled its task (request-timeout, a
    /// client that left). Not an application error.
    static func isAbandonment(_ error: any Error) -> Bool {
        error is ClientDisconnected || error is CancellationError || Task.isCancelled
    }

    static func abandonmentReason(_ error: any Error) -> String {
        if error is ClientDisconnected { return "\(error)" }
        return "its task was cancelled (\(error))"
    }

    /// The response's `Content-Length`, without joining repeated fields as
    /// `HTTPFields`' subscript does (a repeated one is returned as it was
    /// sent, comma-joined, so that it never matches a length).
    static func contentLength(of fields: HTTPFields) -> String? {
        var found: String?
        for field in fields where field.name == .contentLength {
            found = found.map { $0 + ", " + field.value } ?? field.value
        }
        return found
    }

    static func statusAllowsBody(_ status: HTTPResponse.Status) -> Bool {
        !(100..<200 ~= status.code || status.code == 204 || status.code == 304)
    }
}

/// The writer handed to streaming bodies; dead once the response is over.
final class SinkWriter<Sink: ResponseSink>: ResponseBodyWriter {
    let sink: Sink
    private let closed = Atomic(false)

    init(sink: Sink) {
        self.sink = sink
    }

    func close() {
        closed.store(true, ordering: .releasing)
    }

    func write(_ bytes: [UInt8]) async throws {
        guard !closed.load(ordering: .acquiring) else { throw ResponseWriterClosed() }
        guard !bytes.isEmpty else { return }
        try await sink.writeBody(bytes, flush: false)
    }

    func flush() async throws {
        guard !closed.load(ordering: .acquiring) else { throw ResponseWriterClosed() }
        try await sink.writeBody([], flush: true)
    }
}
