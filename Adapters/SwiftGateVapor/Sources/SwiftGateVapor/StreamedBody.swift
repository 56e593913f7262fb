import Vapor

/// A Vapor response body that is not in memory: its stream callback.
///
/// Vapor 4 keeps a body's kind internal and offers only `collect(on:)`,
/// which gathers a stream whole. To stream it on, the callback is read
/// through reflection; a body whose layout is not the one known here comes
/// out as `nil` and is collected instead.
enum StreamedBody {
    /// No body at all.
    case empty
    /// `Response.Body(stream:)`: writes through a future-based writer.
    case callback(@Sendable (any BodyStreamWriter) -> Void)
    /// `Response.Body(asyncStream:)` and `managedAsyncStream:`.
    case asyncCallback(@Sendable (any AsyncBodyStreamWriter) async throws -> Void)

    /// The stream of a body whose `buffer` is `nil`.
    init?(_ body: Vapor.Response.Body) {
        guard let storage = Mirror(reflecting: body).descendant("storage") else { return nil }
        guard let payload = Mirror(reflecting: storage).children.first else {
            self = .empty
            return
        }
        let callback = Mirror(reflecting: payload.value).descendant("callback")
        switch payload.label {
        case "stream":
            guard let callback = callback as? @Sendable (any BodyStreamWriter) -> Void else { return nil }
            self = .callback(callback)
        case "asyncStream":
            guard let callback = callback as? @Sendable (any AsyncBodyStreamWriter) async throws -> Void else {
                return nil
            }
            self = .asyncCallback(callback)
        default:
            return nil
        }
    }
}
