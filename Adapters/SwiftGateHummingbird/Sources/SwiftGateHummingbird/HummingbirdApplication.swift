import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import SwiftGate

/// A Hummingbird responder served as a SwiftGate application.
///
/// Each SwiftGate request becomes a Hummingbird `Request` (the path below
/// the mount point, the header fields, the body read from Apache as the
/// responder reads it) and a context made from the request's environ; the
/// responder's `Response` goes back with its body streamed, each write
/// flushed to the client. No Hummingbird server, channel or event loop is
/// involved.
///
/// ``export(_:)-(HTTPResponderBuilder)`` makes one for an application
/// library. Make one directly to wrap it in SwiftGate middleware or to test
/// it with SwiftGateTesting:
///
/// ```swift
/// let app = HummingbirdApplication(router: router)
/// let response = try await app.test("/todos/1")
/// ```
public struct HummingbirdApplication<Responder: HTTPResponder>: SwiftGate.Application
where Responder.Context: SwiftGateRequestContext {
    /// The responder every request goes to.
    public let responder: Responder

    /// The services started with the application; nil when it has none.
    let services: ApplicationServices?

    /// Bodies of known length up to this size are gathered and sent with
    /// the head in one piece; longer ones, and bodies of unknown length,
    /// stream with a flush per write.
    static var gatheredBodyLimit: Int { 64 * 1024 }

    /// Serves a responder, and runs services beside it.
    ///
    /// - Parameters:
    ///   - responder: A Hummingbird responder whose context SwiftGate can
    ///     make.
    ///   - services: Services to run while the application serves, as
    ///     Hummingbird's `Application(router:services:)` runs them: started
    ///     now (so make the application after the fork, in the export
    ///     factory) and shut down gracefully, in reverse order, when the host
    ///     stops the application.
    ///   - logger: The services' logger.
    public init(
        responder: Responder,
        services: [any Service] = [],
        logger: Logger = Logger(label: "SwiftGateHummingbird")
    ) {
        self.responder = responder
        self.services = services.isEmpty ? nil : ApplicationServices(services, logger: logger)
    }

    /// Serves the responder a router (or any responder builder) builds, and
    /// runs services beside it.
    ///
    /// ```swift
    /// export { settings in
    ///     let client = PostgresClient(configuration: …)
    ///     return HummingbirdApplication(router: buildRouter(client), services: [client])
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - router: The router, with its routes and middleware.
    ///   - services: Services to run while the application serves (see
    ///     ``init(responder:services:logger:)``).
    ///   - logger: The services' logger.
    public init<Builder: HTTPResponderBuilder>(
        router: Builder,
        services: [any Service] = [],
        logger: Logger = Logger(label: "SwiftGateHummingbird")
    ) where Builder.Responder == Responder {
        self.init(responder: router.buildResponder(), services: services, logger: logger)
    }

    /// Shuts the application's services down gracefully; the host calls it
    /// once, after the last request.
    public func shutdown() async {
        await services?.shutdown()
    }

    public func respond(to request: SwiftGate.Request) async throws -> SwiftGate.Response {
        let head = HTTPRequest(
            method: request.method,
            scheme: request.scheme,
            authority: request.environValue("HTTP_HOST") ?? request.environValue("SERVER_NAME"),
            path: request.routedTarget,
            headerFields: request.headerFields
        )
        let hummingbirdRequest = Hummingbird.Request(
            head: head,
            body: Hummingbird.RequestBody(asyncSequence: GatewayRequestBody(body: request.body))
        )
        var logger = request.logger
        // Hummingbird's request id (`context.id`) is the id Apache's log lines,
        // the status page and crash reports give the request; one of
        // Hummingbird's own only when the host gave none.
        let id = request.id
        logger[metadataKey: "hb.request.id"] = id.isEmpty ? .stringConvertible(RequestID()) : .string(id)
        let context = Responder.Context(
            source: SwiftGateRequestContextSource(environ: SwiftGateEnviron(request), logger: logger)
        )
        let response = try await withLogger(logger) { _ in
            try await responder.respond(to: hummingbirdRequest, context: context)
        }
        return try await gatewayResponse(response, for: head, logger: logger)
    }

    /// The SwiftGate response for Hummingbird's.
    private func gatewayResponse(
        _ response: Hummingbird.Response,
        for head: HTTPRequest,
        logger: Logger
    ) async throws -> SwiftGate.Response {
        if response.status == .switchingProtocols {
            logger.error(
                "\(head.method.rawValue) \(head.path ?? "") answered 101 Switching Protocols; SwiftGate cannot hand the connection over (WebSocket and other upgrades are not supported)"
            )
            return .text("Protocol upgrades are not supported here.\n", status: .notImplemented)
        }
        let body = response.body
        // A HEAD response keeps its GET's Content-Length over an empty body:
        // it must not be checked against the bytes.
        if head.method != .head, let length = body.contentLength, length <= Self.gatheredBodyLimit {
            let collector = CollectingBodyWriter(capacity: length)
            try await body.write(collector)
            return SwiftGate.Response(
                status: response.status,
                headerFields: response.headers,
                body: SwiftGate.ResponseBody(bytes: collector.bytes)
            )
        }
        return SwiftGate.Response(
            status: response.status,
            headerFields: response.headers,
            body: SwiftGate.ResponseBody { writer in
                try await body.write(GatewayBodyWriter(writer: writer))
            }
        )
    }
}
