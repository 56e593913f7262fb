import HTTPTypes
import Hummingbird
import SwiftGateHummingbird
import SwiftGateHummingbirdTestApp
import SwiftGateTesting
import Testing

@Suite("Hummingbird's responses reach the client as its own server sends them")
struct ResponseMappingTests {
    let app = HummingbirdApplication(router: makeRouter())

    @Test("an HTTPError answers with its status and message")
    func httpError() async throws {
        let response = try await app.test("/missing")
        #expect(response.status == .notFound)
        #expect(response.text.contains("no such todo"))
    }

    @Test("an unknown error answers 500 and the next request is served")
    func unknownError() async throws {
        let failed = try await app.test("/boom")
        #expect(failed.status == .internalServerError)
        let next = try await app.test("/todos/1")
        #expect(next.status == .ok)
    }

    @Test("middleware runs in the order it was added, group middleware innermost")
    func middlewareOrder() async throws {
        let response = try await app.test("/admin/stats")
        #expect(response.text == "stats")
        #expect(response.headerFields[values: HTTPField.Name("X-Order")!] == ["group", "inner", "outer"])
        let notFound = try await app.test("/nowhere")
        #expect(notFound.status == .notFound)
    }

    @Test("a body of known length goes with the head in one piece")
    func knownLength() async throws {
        let response = try await app.test("/todos/9")
        #expect(response.writes.count == 1)
        #expect(response.headerFields[.contentLength] == String(response.body.count))
    }

    @Test("a long body streams, with its Content-Length")
    func longBody() async throws {
        let response = try await app.test("/large")
        #expect(response.body.count == 200_000)
        #expect(response.headerFields[.contentLength] == "200000")
    }

    @Test("an AsyncSequence body streams, each buffer flushed")
    func streamedDownload() async throws {
        let response = try await app.test("/download?n=5")
        #expect(response.status == .ok)
        #expect(response.headerFields[.contentLength] == nil)
        #expect(response.writes.count == 5)
        #expect(response.flushes == 5)
        #expect(response.body.count == 5000)
    }

    @Test("a writer-based body streams")
    func writerBody() async throws {
        let response = try await app.test("/writer")
        #expect(response.text == "one,two")
        #expect(response.writes.count == 2)
    }

    @Test("an upgrade answer becomes 501")
    func upgrade() async throws {
        let response = try await app.test("/upgrade", headerFields: [.upgrade: "websocket", .connection: "upgrade"])
        #expect(response.status == .notImplemented)
        #expect(response.headerFields[.upgrade] == nil)
        let next = try await app.test("/")
        #expect(next.text == "root")
    }
}
