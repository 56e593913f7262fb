import Hummingbird
import SwiftGate
import SwiftGateHummingbird
import SwiftGateHummingbirdTestApp
import SwiftGateTesting
import Testing

/// An application's own context: only its conformance names SwiftGate.
struct AppContext: SwiftGateRequestContext {
    var coreContext: CoreRequestContextStorage
    let environ: SwiftGateEnviron
    var user: String?

    init(source: Source) {
        coreContext = CoreRequestContextStorage(source: source)
        environ = source.environ
    }
}

/// Fills the context's user from REMOTE_USER, or refuses the request.
struct RequireUser: RouterMiddleware {
    func handle(
        _ request: Request,
        context: AppContext,
        next: (Request, AppContext) async throws -> Response
    )
        async throws -> Response
    {
        guard let user = context.remoteUser else { throw HTTPError(.unauthorized) }
        var context = context
        context.user = user
        return try await next(request, context)
    }
}

@Suite("An application's own context")
struct ContextTests {
    let app: HummingbirdApplication<RouterResponder<AppContext>> = {
        let router = Router(context: AppContext.self)
        router.add(middleware: RequireUser())
        router.get("/me") { _, context in context.user ?? "" }
        router.get("/id") { _, context in context.id }
        return HummingbirdApplication(router: router)
    }()

    @Test("REMOTE_USER set by Apache's basic auth reaches a middleware and the route")
    func remoteUser() async throws {
        let response = try await app.test("/me", environ: ["REMOTE_USER": "bob", "AUTH_TYPE": "Basic"])
        #expect(response.text == "bob")
        let refused = try await app.test("/me")
        #expect(refused.status == .unauthorized)
    }

    @Test("every request has a request id, as on Hummingbird's server")
    func requestID() async throws {
        let first = try await app.test("/id", environ: ["REMOTE_USER": "bob"])
        let second = try await app.test("/id", environ: ["REMOTE_USER": "bob"])
        #expect(!first.text.isEmpty)
        #expect(first.text != second.text)
    }

    @Test("the request id is SwiftGate's, the one Apache's log lines show, when the host gives one")
    func requestIDFromTheHost() async throws {
        let response = try await app.test("/id", environ: ["REMOTE_USER": "bob", EnvironKey.requestID: "sg-42"])
        #expect(response.status == .ok)
        #expect(response.text == "sg-42")
    }
}

@Suite("Any HTTPResponder, not only a router")
struct ResponderTests {
    @Test("a callback responder sees the request and context the gateway made")
    func callbackResponder() async throws {
        let responder = CallbackResponder<BasicSwiftGateRequestContext> { request, context in
            let text =
                "\(request.method) \(request.uri.path) \(request.uri.query ?? "") \(context.environ.serverProtocol ?? "")"
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let app = HummingbirdApplication(responder: responder)
        let response = try await app.test("/a/b?c=d", method: .post, scriptName: "/mount")
        #expect(response.text == "POST /a/b c=d HTTP/1.1")
    }
}
