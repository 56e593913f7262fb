import HTTPTypes
import NIOCore
import SwiftGate
import Vapor

/// A Vapor application served as a SwiftGate application.
///
/// ``make(settings:environment:configure:)`` builds the `Vapor.Application`
/// once per process (after Apache or the daemon forked), runs the
/// application's `configure(app)` with the settings at `app.swiftgate`, and
/// boots it without starting its HTTP server. Each SwiftGate request then
/// becomes a `Vapor.Request` answered by the application's responder (its
/// routes and middleware), and the `Vapor.Response` goes back with streamed
/// bodies streamed.
///
/// ``export(environment:_:)`` makes one for an application library. Make one
/// directly to test it with SwiftGateTesting, and call ``shutdown()`` when
/// done.
public struct VaporApplication: SwiftGate.Application {
    /// The Vapor application: its routes, middleware, services and event loops.
    public let application: Vapor.Application

    /// The responder every request goes to, built once (Vapor's
    /// `app.responder.current` builds a new router on every use).
    let responder: any Vapor.Responder

    /// The largest request body handed to Vapor, in bytes.
    let bodyLimit: Int

    /// The event loops of the host threads that serve requests.
    let hostLoops: HostThreadEventLoops

    /// Builds, configures and boots a Vapor application.
    ///
    /// - Parameters:
    ///   - settings: The process's settings, reachable in `configure` as
    ///     `app.swiftgate.settings`.
    ///   - environment: Vapor's environment; by default the settings'
    ///     `vapor.environment` (`VAPOR_ENVIRONMENT`), else `production`.
    ///     Apache's command line is never parsed.
    ///   - configure: The application's `configure(app)`: routes, middleware,
    ///     services.
    /// - Returns: The application, booted and ready for requests.
    /// - Throws: What `configure` or Vapor's boot throws; the Vapor
    ///   application is shut down first.
    public static func make(
        settings: Settings,
        environment: Environment? = nil,
        configure: @Sendable (Vapor.Application) async throws -> Void
    ) async throws -> VaporApplication {
        let environment =
            environment ?? Environment(name: settings.string("vapor.environment") ?? "production", arguments: ["vapor"])
        let application = try await Vapor.Application.make(environment)
        application.swiftgate.settings = settings
        do {
            try await configure(application)
            try await application.asyncBoot()
        } catch {
            try? await application.asyncShutdown()
            throw error
        }
        return VaporApplication(application: application)
    }

    /// Serves an application that is already configured and booted.
    ///
    /// - Parameter application: The Vapor application.
    public init(application: Vapor.Application) {
        self.application = application
        self.responder = application.responder.current
        self.bodyLimit = application.swiftgate.maxRequestBodySize.value
        self.hostLoops = HostThreadEventLoops(group: application.eventLoopGroup)
    }

    /// Stops the Vapor application: its lifecycle handlers' shutdown, its
    /// services, its event loop group when it owns one.
    ///
    /// The host calls it once, after the last request, when the process
    /// ends in order (a daemon's graceful stop or recycling, an Apache
    /// child's exit); tests call it when done. An error is logged.
    public func shutdown() async {
        do {
            try await application.asyncShutdown()
        } catch {
            application.logger.error("shutting down the Vapor application failed: \(error)")
        }
    }

    public func respond(to request: SwiftGate.Request) async throws -> SwiftGate.Response {
        // On a host thread the request's loop is that thread (callbacks run
        // inline, no thread switch); elsewhere one of Vapor's NIO loops.
        let eventLoop: any EventLoop =
            request.context.thread.map { hostLoops.loop(for: $0) } ?? application.eventLoopGroup.any()
        let body: ByteBuffer?
        switch try await collectBody(of: request) {
        case .empty: body = nil
        case .bytes(let bytes): body = bytes
        case .tooLarge:
            return .text("Request body larger than \(bodyLimit) bytes.\n", status: .contentTooLarge)
        }
        let vaporRequest = Vapor.Request(
            application: application,
            method: HTTPMethod(rawValue: request.method.rawValue),
            url: URI(
                path: request.routedTarget
            ),
            version: Self.version(request.environValue("SERVER_PROTOCOL")),
            headersNoUpdate: HTTPHeaders(request.headerFields, requestID: request.id),
            collectedBody: body,
            remoteAddress: try? SocketAddress(
                ipAddress: request.remoteAddress,
                port: request.environValue("REMOTE_PORT").flatMap { Int($0) } ?? 0
            ),
            peerCertificateChain: nil,
            logger: request.logger,
            byteBufferAllocator: application.allocator,
            on: eventLoop
        )
        vaporRequest.storage[Vapor.Request.Gateway.EnvironKey.self] = SwiftGateEnviron(request)
        // Vapor's own server calls the responder on the request's event
        // loop, so its future callbacks run inline there; called from
        // elsewhere, each callback would hop onto the loop by itself.
        let responder = self.responder
        let response: Vapor.Response
        if eventLoop.inEventLoop {
            response = try await responder.respond(to: vaporRequest).get()
        } else {
            response = try await eventLoop.flatSubmit { responder.respond(to: vaporRequest) }.get()
        }
        return gatewayResponse(response, for: vaporRequest)
    }

    /// A request body as Vapor is handed it.
    enum CollectedBody {
        /// No body bytes.
        case empty
        /// The whole body.
        case bytes(ByteBuffer)
        /// Larger than the limit; not read to its end.
        case tooLarge
    }

    /// Reads the request body into one buffer, up to the limit.
    ///
    /// Each chunk is copied once, from SwiftGate's `[UInt8]` into the buffer.
    func collectBody(of request: SwiftGate.Request) async throws -> CollectedBody {
        let declared = request.environValue("CONTENT_LENGTH").flatMap { Int($0) }
        if let declared, declared > bodyLimit {
            return .tooLarge
        }
        var chunks = request.body.makeAsyncIterator()
        guard let first = try await chunks.next() else { return .empty }
        var buffer = application.allocator.buffer(capacity: max(declared ?? 0, first.count))
        buffer.writeBytes(first)
        while let chunk = try await chunks.next() {
            guard buffer.readableBytes + chunk.count <= bodyLimit else { return .tooLarge }
            buffer.writeBytes(chunk)
        }
        return buffer.readableBytes > bodyLimit ? .tooLarge : .bytes(buffer)
    }

    /// Vapor's version for `SERVER_PROTOCOL`.
    static func version(_ serverProtocol: String?) -> HTTPVersion {
        switch serverProtocol {
        case "HTTP/1.0": HTTPVersion(major: 1, minor: 0)
        case "HTTP/2", "HTTP/2.0": HTTPVersion(major: 2, minor: 0)
        default: HTTPVersion(major: 1, minor: 1)
        }
    }
}

extension HTTPHeaders {
    /// Vapor's header list for swift-http-types' fields, in order.
    init(_ fields: HTTPFields) {
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(fields.count)
        for field in fields {
            pairs.append((field.name.rawName, field.value))
        }
        self.init(pairs)
    }

    /// The fields, with `X-Request-Id` set to SwiftGate's request id when
    /// the client sent none: Vapor takes its `request-id` log metadata from
    /// that field, so its lines carry the id Apache's carry (without it,
    /// Vapor makes a UUID for every request, reading the system's random
    /// source each time).
    init(_ fields: HTTPFields, requestID: String) {
        self.init(fields)
        if !requestID.isEmpty, !contains(name: .xRequestId) {
            add(name: .xRequestId, value: requestID)
        }
    }
}
