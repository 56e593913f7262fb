import HTTPTypes
import SwiftGate
import SwiftGateTesting
import Synchronization
import Testing

/// Records the order in which middleware saw requests and responses.
final class Trail: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ s: String) { entries.withLock { $0.append(s) } }
    var all: [String] { entries.withLock { $0 } }
}

struct Recording: Middleware {
    let name: String
    let trail: Trail

    func handle(_ request: Request, next: Responder) async throws -> Response {
        trail.add("\(name) in")
        var response = try await next(request)
        trail.add("\(name) out")
        response.headerFields.append(HTTPField(name: HTTPField.Name("X-Seen")!, value: name))
        return response
    }
}

/// Registers a hook, then drops the inner response and answers itself.
struct Replacing: Middleware {
    let trail: Trail
    func handle(_ request: Request, next: Responder) async throws -> Response {
        await request.onFinish { trail.add("replacing hook") }
        _ = try await next(request)
        return .text("replaced\n", status: .accepted)
    }
}

/// Answers without calling the rest of the chain.
struct ShortCircuit: Middleware {
    func handle(_ request: Request, next: Responder) async throws -> Response {
        .text("no\n", status: .forbidden)
    }
}

@Suite struct MiddlewareTests {
    @Test func groupRunsOutermostFirst() async throws {
        let trail = Trail()
        let app = MiddlewareGroup([Recording(name: "a", trail: trail), Recording(name: "b", trail: trail)])
            .wrapping(
                ApplicationFunction { _ in
                    trail.add("app"); return .text("ok")
                }
            )
        let response = try await app.test("/")
        #expect(trail.all == ["a in", "b in", "app", "b out", "a out"])
        #expect(response.headerFields[values: HTTPField.Name("X-Seen")!] == ["b", "a"])
        #expect(response.text == "ok")
    }

    @Test func wrappedIsAnApplication() async throws {
        let trail = Trail()
        let inner: any Application = ApplicationFunction { _ in .text("inner") }
        let app: any Application = MiddlewareGroup([Recording(name: "m", trail: trail)]).wrapping(inner)
        let response = try await app.test("/")
        #expect(response.headerFields[HTTPField.Name("X-Seen")!] == "m")
        #expect(trail.all == ["m in", "m out"])
    }

    @Test func finishHooksRunOnceWhenAMiddlewareReplacesTheResponse() async throws {
        let trail = Trail()
        let app = MiddlewareGroup([Replacing(trail: trail)]).wrapping(
            ApplicationFunction { request in
                await request.onFinish { trail.add("app hook") }
                return Response(body: ResponseBody { writer in try await writer.write("never sent") })
            }
        )
        let context = RequestContext()
        let response = try await app.test("/", context: context)
        #expect(response.status == .accepted)
        #expect(response.text == "replaced\n")
        #expect(trail.all == ["replacing hook", "app hook"])
        #expect(context.isFinished)
        await context.finish()
        #expect(trail.all.count == 2, "a second finish must not run hooks again")
    }

    @Test func finishHooksRunWhenTheApplicationThrows() async throws {
        let trail = Trail()
        let app = ApplicationFunction { request in
            await request.onFinish { trail.add("hook") }
            throw CancellationError()
        }
        let response = try await app.test("/")
        #expect(response.outcome == .failedBeforeHead(status: 500))
        #expect(trail.all == ["hook"])
    }

    @Test func finishHooksRunWhenTheBodyFailsMidway() async throws {
        let trail = Trail()
        let app = ApplicationFunction { request in
            await request.onFinish { trail.add("hook") }
            return Response(
                body: ResponseBody { writer in
                    try await writer.write("part")
                    throw CancellationError()
                }
            )
        }
        let response = try await app.test("/")
        #expect(response.outcome == .failedAfterHead)
        #expect(!response.isComplete)
        #expect(response.text == "part")
        #expect(trail.all == ["hook"])
    }

    @Test func aShortCircuitStillFinishes() async throws {
        let context = RequestContext()
        let app = MiddlewareGroup([ShortCircuit()]).wrapping(
            ApplicationFunction { _ in
                Issue.record("the inner application must not run")
                return .text("")
            }
        )
        let response = try await app.test("/", context: context)
        #expect(response.status == .forbidden)
        #expect(context.isFinished)
    }

    @Test func aHookAddedAfterTheEndRunsAtOnce() async throws {
        let trail = Trail()
        let context = RequestContext()
        await context.finish()
        await context.onFinish { trail.add("late") }
        #expect(trail.all == ["late"])
    }
}
