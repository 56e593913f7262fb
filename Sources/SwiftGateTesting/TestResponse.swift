import HTTPTypes
import SwiftGate

/// A response served in memory by `Application.test`, as a host would have
/// sent it.
public struct TestResponse: Sendable {
    /// How serving ended (for this package's own tests).
    package var outcome: ServeOutcome
    /// The status sent, or the failure status when no head was sent.
    public var status: HTTPResponse.Status
    /// The header fields sent (empty when no head was sent).
    public var headerFields: HTTPFields
    /// Every body byte sent.
    public var body: [UInt8]
    /// The body writes, in order (a flush with no bytes is not a write).
    public var writes: [[UInt8]]
    /// How many times the application flushed.
    public var flushes: Int

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Whether the whole response went out: `false` when the application
    /// failed after the head was sent, so that a host would have cut the
    /// response short for the client to see (or when it failed before).
    public var isComplete: Bool { outcome == .complete }
}
