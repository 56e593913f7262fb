import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import SwiftGateHummingbird

public struct Todo: ResponseCodable, Equatable {
    public var id: Int
    public var title: String

    public init(id: Int, title: String) {
        self.id = id
        self.title = title
    }
}

struct Boom: Error {}

/// Appends its name to the response's `X-Order` fields after the inner
/// responders ran, so the fields list the middleware innermost first.
struct OrderMiddleware<Context: RequestContext>: RouterMiddleware {
    let name: String

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        response.headers.append(HTTPField(name: HTTPField.Name("X-Order")!, value: name))
        return response
    }
}

/// A stream of `count` chunks of `size` bytes each.
struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let count: Int
    let size: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var left: Int
        let size: Int

        mutating func next() async throws -> ByteBuffer? {
            guard left > 0 else { return nil }
            left -= 1
            await Task.yield()
            return ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(left: count, size: size) }
}

/// The router every test serves, in memory (the unit tests) and under
/// Apache (Tests/adapters): one route per behaviour under test.
public func makeRouter() -> Router<BasicSwiftGateRequestContext> {
    let router = Router(context: BasicSwiftGateRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.get("/hello") { _, _ in "Hello, world!\n" }
    router.get("/pid") { _, _ in "\(getpid())" }
    router.get("/sleep/{ms}") { _, context -> String in
        let milliseconds = try context.parameters.require("ms", as: Int.self)
        try await Task.sleep(for: .milliseconds(milliseconds))
        return "slept \(milliseconds) ms in \(getpid())"
    }
    router.add(middleware: OrderMiddleware(name: "outer"))
    router.add(middleware: OrderMiddleware(name: "inner"))
    router.get("/") { _, _ in "root" }
    router.get("/todos/{id}") { _, context in
        Todo(id: try context.parameters.require("id", as: Int.self), title: "todo")
    }
    router.post("/todos") { request, context in
        var todo = try await request.decode(as: Todo.self, context: context)
        todo.title = todo.title.uppercased()
        return EditedResponse(status: .created, response: todo)
    }
    router.get("/missing") { _, _ -> String in
        throw HTTPError(.notFound, message: "no such todo")
    }
    router.get("/boom") { _, _ -> String in throw Boom() }
    router.get("/whoami") { _, context in
        "\(context.remoteUser ?? "nobody") from \(context.remoteAddress?.ipAddress ?? "?") over \(context.scheme)"
    }
    router.get("/environ/{name}") { _, context in
        context.environ[try context.parameters.require("name")] ?? "unset"
    }
    router.get("/tags") { request, _ in
        let values = request.headers[values: HTTPField.Name("X-Tag")!].joined(separator: "|")
        var response = Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: values)))
        response.headers.append(HTTPField(name: .setCookie, value: "a=1"))
        response.headers.append(HTTPField(name: .setCookie, value: "b=2"))
        return response
    }
    router.get("/query") { request, _ in
        request.uri.queryParameters.getAll("tag").joined(separator: "|")
    }
    router.get("/path/{name}") { request, context in
        "\(request.uri.path) \(context.parameters.get("name") ?? "")"
    }
    router.post("/upload") { request, _ in
        var total = 0
        var chunks = 0
        var largest = 0
        for try await chunk in request.body {
            total += chunk.readableBytes
            chunks += 1
            largest = max(largest, chunk.readableBytes)
        }
        return "\(total) bytes in \(chunks) chunks, largest \(largest)"
    }
    router.get("/download") { request, _ in
        let count = request.uri.queryParameters.get("n", as: Int.self) ?? 3
        return Response(status: .ok, body: ResponseBody(asyncSequence: ChunkSequence(count: count, size: 1000)))
    }
    router.get("/writer") { _, _ in
        Response(
            status: .ok,
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "one,"))
                try await writer.write(ByteBuffer(string: "two"))
                try await writer.finish(nil)
            }
        )
    }
    router.get("/large") { _, _ in
        Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(repeating: 0x61, count: 200_000)))
    }
    router.get("/upgrade") { _, _ in
        Response(status: .switchingProtocols, headers: [.upgrade: "websocket", .connection: "upgrade"])
    }
    let admin = router.group("/admin").add(middleware: OrderMiddleware(name: "group"))
    admin.get("/stats") { _, _ in "stats" }
    return router
}
