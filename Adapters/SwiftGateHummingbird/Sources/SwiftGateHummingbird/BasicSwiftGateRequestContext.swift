import Hummingbird

/// The request context for a router served by SwiftGate that needs nothing
/// of its own: Hummingbird's `BasicRequestContext` plus what Apache knows.
///
/// ```swift
/// let router = Router(context: BasicSwiftGateRequestContext.self)
/// router.get("/whoami") { _, context in context.remoteUser ?? "nobody" }
/// ```
public struct BasicSwiftGateRequestContext: SwiftGateRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let environ: SwiftGateEnviron

    /// Creates the context of one request.
    ///
    /// - Parameter source: The request's environ and logger.
    public init(source: Source) {
        coreContext = CoreRequestContextStorage(source: source)
        environ = source.environ
    }
}
