import Glibc
import SwiftGateVapor
import Vapor

public struct Todo: Content, Equatable {
    public var id: Int
    public var title: String

    public init(id: Int, title: String) {
        self.id = id
        self.title = title
    }
}

struct Boom: Error {}

/// Adds its name to the response's `X-Order` fields after the inner
/// responders ran, so the fields list the middleware innermost first.
struct OrderMiddleware: AsyncMiddleware {
    let name: String

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.add(name: "X-Order", value: name)
        return response
    }
}

/// Says in the log when the application boots and when it shuts down,
/// with its process id: the real-Apache tests check that it boots in each
/// serving process (never in Apache's parent) and shuts down when the
/// process ends in order.
struct LifecycleProbe: LifecycleHandler {
    func didBootAsync(_ application: Application) async throws {
        application.logger.notice("probe lifecycle booted in pid \(getpid())")
    }

    func shutdownAsync(_ application: Application) async {
        application.logger.notice("probe lifecycle stopped in pid \(getpid())")
    }
}

/// The application every test serves, in memory (the unit tests) and under
/// Apache (Tests/adapters): one route per behaviour under test.
@Sendable public func configure(_ app: Application) async throws {
    app.middleware.use(OrderMiddleware(name: "outer"))
    app.middleware.use(OrderMiddleware(name: "inner"))
    app.swiftgate.maxRequestBodySize = "16mb"
    app.lifecycle.use(LifecycleProbe())

    app.get("hello") { _ in "Hello, world!\n" }
    app.get("pid") { _ in "\(getpid())" }
    app.get("request-id") { req in req.logger[metadataKey: "request-id"]?.description ?? "none" }
    app.get("sleep", ":ms") { req async throws -> String in
        let milliseconds = req.parameters.get("ms", as: Int.self) ?? 0
        try await Task.sleep(for: .milliseconds(milliseconds))
        return "slept \(milliseconds) ms in \(getpid())"
    }
    app.get("environ", ":name") { req in
        req.swiftgate.environ?[req.parameters.get("name") ?? ""] ?? "unset"
    }

    app.get { _ in "root" }
    app.get("todos", ":id") { req async throws -> Todo in
        guard let id = req.parameters.get("id", as: Int.self) else { throw Abort(.badRequest) }
        return Todo(id: id, title: "todo")
    }
    app.post("todos") { req async throws -> Response in
        var todo = try req.content.decode(Todo.self)
        todo.title = todo.title.uppercased()
        let response = Response(status: .created)
        try response.content.encode(todo)
        return response
    }
    app.get("missing") { _ async throws -> String in throw Abort(.notFound, reason: "no such todo") }
    app.get("boom") { _ async throws -> String in throw Boom() }
    app.get("tags") { req -> Response in
        let response = Response(body: .init(string: req.headers["X-Tag"].joined(separator: "|")))
        response.headers.add(name: .setCookie, value: "a=1")
        response.headers.add(name: .setCookie, value: "b=2")
        return response
    }
    app.get("query") { req in
        "\(req.query[String.self, at: "name"] ?? "") \(req.url.query ?? "")"
    }
    app.get("path", ":name") { req in
        "\(req.url.path) \(req.parameters.get("name") ?? "")"
    }
    app.on(.POST, "upload", body: .stream) { req async throws -> String in
        var total = 0
        for try await chunk in req.body {
            total += chunk.readableBytes
        }
        return "\(total) bytes"
    }
    app.post("collect") { req async throws -> String in
        let body = try await req.body.collect(upTo: 1 << 20)
        return "\(body.readableBytes) bytes"
    }
    app.get("download") { req -> Response in
        let count = req.query[Int.self, at: "n"] ?? 3
        return Response(
            body: .init(asyncStream: { writer in
                for _ in 0..<count {
                    try await writer.writeBuffer(ByteBuffer(repeating: UInt8(ascii: "x"), count: 1000))
                }
                try await writer.write(.end)
            })
        )
    }
    app.get("callback-stream") { req -> Response in
        Response(
            body: .init(stream: { writer in
                writer.write(.buffer(ByteBuffer(string: "one,"))).whenComplete { _ in
                    writer.write(.buffer(ByteBuffer(string: "two"))).whenComplete { _ in
                        writer.write(.end, promise: nil)
                    }
                }
            })
        )
    }
    app.get("failing-stream") { _ -> Response in
        Response(
            body: .init(asyncStream: { writer in
                try await writer.writeBuffer(ByteBuffer(string: "partial"))
                try await writer.write(.error(Boom()))
            })
        )
    }
    // The request's event loop, its kind and whether the handler, a timer
    // scheduled on it and the timer's continuation run on it (under a
    // SwiftGate host, the serving thread itself).
    app.get("event-loop") { req -> EventLoopFuture<String> in
        let loop = req.eventLoop
        let handlerOnLoop = loop.inEventLoop
        return loop.scheduleTask(in: .milliseconds(5)) { loop.inEventLoop }.futureResult.map { timerOnLoop in
            "\(type(of: loop)) \(handlerOnLoop) \(timerOnLoop) \(loop.inEventLoop)"
        }
    }
    app.get("whoami") { req in
        "\(req.swiftgate.remoteUser ?? "nobody") from \(req.remoteAddress?.ipAddress ?? "?")"
    }
    app.get("settings") { req in
        req.application.swiftgate.settings.string("greeting") ?? "unset"
    }
    let staff = app.grouped(RemoteUserAuthenticator(), SwiftGateUser.guardMiddleware())
    staff.get("me") { req in try req.auth.require(SwiftGateUser.self).name }
    app.grouped(OrderMiddleware(name: "group")).get("admin", "stats") { _ in "stats" }
    app.webSocket("upgrade") { _, _ in }
}

/// The test application, as an application library exports it.
@_cdecl("swiftgate_application")
public func application() -> UnsafeMutableRawPointer {
    export(configure)
}

/// The same, under a second name (the real-Apache tests mount both).
@_cdecl("swiftgate_router")
public func routerOnly() -> UnsafeMutableRawPointer {
    export(configure)
}
