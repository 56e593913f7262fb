import Vapor

/// A Vapor response body that is not in memory: its stream callback.
///
/// Vapor 4 keeps a body's kind internal and offers only `collect(on:)`,
/// which gathers a stream whole. To stream it on, the body's storage is
/// found through reflection and its stream read as a struct of the same
/// layout (a dynamic cast of the async callback out of `Any` crashes the
/// runtime). A body whose storage is not the one known here (a later Vapor)
/// comes out as `nil`, and the caller collects it instead.
enum StreamedBody {
    /// No body at all.
    case empty
    /// `Response.Body(stream:)`: writes through a future-based writer.
    case callback(@Sendable (any BodyStreamWriter) -> Void)
    /// `Response.Body(asyncStream:)` and `managedAsyncStream:`.
    ///
    /// `@concurrent` as Vapor's own declaration is: this module is built
    /// with `NonisolatedNonsendingByDefault`, under which the bare type
    /// would be a caller-isolated function, called another way.
    case asyncCallback(@concurrent @Sendable (any AsyncBodyStreamWriter) async throws -> Void)

    /// Vapor 4's `Response.BodyStream`, field for field.
    private struct CallbackStream {
        let count: Int
        let callback: @Sendable (any BodyStreamWriter) -> Void
    }

    /// Vapor 4's `Response.AsyncBodyStream`, field for field.
    private struct AsyncCallbackStream {
        let count: Int
        let callback: @concurrent @Sendable (any AsyncBodyStreamWriter) async throws -> Void
    }

    /// The stream of a body whose `buffer` is `nil`.
    init?(_ body: Vapor.Response.Body) {
        guard let storage = Mirror(reflecting: body).descendant("storage") else { return nil }
        guard let payload = Mirror(reflecting: storage).children.first else {
            self = .empty
            return
        }
        switch payload.label {
        case "stream":
            guard let stream = Self.read(payload.value, as: CallbackStream.self, named: "Vapor.Response.BodyStream")
            else { return nil }
            self = .callback(stream.callback)
        case "asyncStream":
            guard
                let stream = Self.read(
                    payload.value,
                    as: AsyncCallbackStream.self,
                    named: "Vapor.Response.AsyncBodyStream"
                )
            else { return nil }
            self = .asyncCallback(stream.callback)
        default:
            return nil
        }
    }

    /// `value` as `Layout` when it is the named type with the fields
    /// `count` and `callback` and the same size.
    private static func read<Stored, Layout>(_ value: Stored, as _: Layout.Type, named name: String) -> Layout? {
        guard String(reflecting: Stored.self) == name,
            MemoryLayout<Stored>.size == MemoryLayout<Layout>.size,
            Mirror(reflecting: value).children.map(\.label) == ["count", "callback"]
        else { return nil }
        return unsafeBitCast(value, to: Layout.self)
    }
}
