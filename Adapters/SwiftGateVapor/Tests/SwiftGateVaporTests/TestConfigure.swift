import SwiftGateVapor
import Vapor

struct Todo: Content, Equatable {
    var id: Int
    var title: String
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

/// The application every test serves: one route per behaviour under test.
@Sendable func configure(_ app: Application) async throws {
    app.middleware.use(OrderMiddleware(name: "outer"))
    app.middleware.use(OrderMiddleware(name: "inner"))
    app.swiftgate.maxRequestBodySize = "16mb"

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
    app.get("whoami") { req in
        "\(req.swiftgate.remoteUser ?? "nobody") from \(req.remoteAddress?.ipAddress ?? "?")"
    }
    app.get("settings") { req in
        req.application.swiftgate.settings.string("greeting") ?? "unset"
    }
    let staff = app.grouped(RemoteUserAuthenticator(), SwiftGateUser.guardMiddleware())
    staff.get("me") { req in try req.auth.require(SwiftGateUser.self).name }
    app.grouped(OrderMiddleware(name: "group")).get("admin", "stats") { _ in "stats" }
    app.webSocket("ws") { _, _ in }
}

/// Serves `body` with the test application, shutting it down after.
func withApp<T>(
    settings: [String: String] = [:],
    _ body: (VaporApplication) async throws -> T
) async throws -> T {
    let app = try await VaporApplication.make(
        settings: Settings(environment: settings),
        environment: .testing,
        configure: configure
    )
    do {
        let result = try await body(app)
        try await app.shutdown()
        return result
    } catch {
        try await app.shutdown()
        throw error
    }
}
