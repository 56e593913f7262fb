import Foundation
import HTTPTypes
import SwiftGate
import SwiftGateTesting
import SwiftGateVapor
import SwiftGateVaporTestApp
import Testing
import Vapor

@Suite("A Vapor application served through SwiftGate")
struct VaporAdapterTests {
    @Test("a route with a path parameter, answered as JSON")
    func pathParameter() async throws {
        try await withApp { app in
            let response = try await app.test("/todos/42")
            #expect(response.status == .ok)
            #expect(response.headerFields[.contentType] == "application/json; charset=utf-8")
            #expect(try JSONDecoder().decode(Todo.self, from: Data(response.body)) == Todo(id: 42, title: "todo"))
        }
    }

    @Test("Content decoded from JSON and encoded back")
    func content() async throws {
        try await withApp { app in
            let response = try await app.test(
                "/todos",
                method: .post,
                headerFields: [.contentType: "application/json"],
                body: [Array(#"{"id":7,"#.utf8), Array(#""title":"milk"}"#.utf8)]
            )
            #expect(response.status == .created)
            #expect(try JSONDecoder().decode(Todo.self, from: Data(response.body)) == Todo(id: 7, title: "MILK"))
        }
    }

    @Test("Abort answers with its status and reason")
    func abort() async throws {
        try await withApp { app in
            let response = try await app.test("/missing")
            #expect(response.status == .notFound)
            #expect(response.text.contains("no such todo"))
        }
    }

    @Test("an unknown error answers 500 and the next request is served")
    func unknownError() async throws {
        try await withApp { app in
            let failed = try await app.test("/boom")
            #expect(failed.status == .internalServerError)
            let next = try await app.test("/todos/1")
            #expect(next.status == .ok)
        }
    }

    @Test("middleware runs in the order it was used, group middleware innermost")
    func middlewareOrder() async throws {
        try await withApp { app in
            let response = try await app.test("/admin/stats")
            #expect(response.text == "stats")
            #expect(response.headerFields[values: HTTPField.Name("X-Order")!] == ["group", "inner", "outer"])
        }
    }

    @Test("repeated request fields arrive in order; repeated response fields leave in order")
    func repeatedFields() async throws {
        try await withApp { app in
            var fields = HTTPFields()
            fields.append(HTTPField(name: HTTPField.Name("X-Tag")!, value: "a"))
            fields.append(HTTPField(name: HTTPField.Name("X-Tag")!, value: "b"))
            let response = try await app.test("/tags", headerFields: fields)
            #expect(response.text == "a|b")
            #expect(response.headerFields[values: .setCookie] == ["a=1", "b=2"])
        }
    }

    @Test("Vapor's request-id is SwiftGate's request id, unless the client sent X-Request-Id")
    func requestID() async throws {
        try await withApp { app in
            let ours = try await app.test("/request-id", environ: [EnvironKey.requestID: "sg-17"])
            #expect(ours.text == "sg-17")
            let theirs = try await app.test(
                "/request-id",
                headerFields: [HTTPField.Name("X-Request-Id")!: "client-9"],
                environ: [EnvironKey.requestID: "sg-18"]
            )
            #expect(theirs.text == "client-9")
        }
    }

    @Test("query strings decoded by Vapor")
    func queryString() async throws {
        try await withApp { app in
            let response = try await app.test("/query?name=b%20c&x=1")
            #expect(response.text == "b c name=b%20c&x=1")
        }
    }

    @Test("a percent-encoded path is routed as Vapor's server routes it")
    func percentEncodedPath() async throws {
        try await withApp { app in
            let response = try await app.test("/path/hello%20w%C3%B6rld")
            #expect(response.status == .ok)
            #expect(response.text.hasPrefix("/path/hello%20w%C3%B6rld "))
        }
    }

    @Test("under a mount point Vapor's router sees the path below it")
    func subMount() async throws {
        try await withApp { app in
            let todo = try await app.test("/todos/3", scriptName: "/app")
            #expect(try JSONDecoder().decode(Todo.self, from: Data(todo.body)).id == 3)
            let root = try await app.test("", scriptName: "/app")
            #expect(root.text == "root")
        }
    }

    @Test("HEAD is answered by the GET route with its Content-Length")
    func head() async throws {
        try await withApp { app in
            let get = try await app.test("/todos/1")
            let head = try await app.test("/todos/1", method: .head)
            #expect(head.status == .ok)
            #expect(head.headerFields[.contentLength] == String(get.body.count))
        }
    }

    @Test("REMOTE_USER reaches req.swiftgate and, through the authenticator, req.auth")
    func remoteUser() async throws {
        try await withApp { app in
            let whoami = try await app.test("/whoami", environ: ["REMOTE_USER": "alice", "REMOTE_ADDR": "192.0.2.7"])
            #expect(whoami.text == "alice from 192.0.2.7")
            let me = try await app.test("/me", environ: ["REMOTE_USER": "alice"])
            #expect(me.text == "alice")
            let refused = try await app.test("/me")
            #expect(refused.status == .unauthorized)
        }
    }

    @Test("configure sees the process's SwiftGate settings")
    func settings() async throws {
        try await withApp(settings: ["GREETING": "hello"]) { app in
            let response = try await app.test("/settings")
            #expect(response.text == "hello")
        }
    }

    @Test("a 10 MiB upload reaches a streaming route; past the limit it is refused")
    func upload() async throws {
        try await withApp { app in
            let chunk = [UInt8](repeating: 0x42, count: 64 * 1024)
            let response = try await app.test("/upload", method: .post, body: Array(repeating: chunk, count: 160))
            #expect(response.text == "10485760 bytes")
            let tooLarge = try await app.test(
                "/upload",
                method: .post,
                body: Array(repeating: chunk, count: 257)
            )
            #expect(tooLarge.status == .contentTooLarge)
            let declared = try await app.test(
                "/upload",
                method: .post,
                environ: ["CONTENT_LENGTH": "17000000"]
            )
            #expect(declared.status == .contentTooLarge)
        }
    }

    @Test("req.body.collect gathers a small body")
    func collect() async throws {
        try await withApp { app in
            let response = try await app.test("/collect", method: .post, body: [[1, 2, 3], [4, 5]])
            #expect(response.text == "5 bytes")
        }
    }

    @Test("an async stream body streams, each buffer flushed")
    func streamedDownload() async throws {
        try await withApp { app in
            let response = try await app.test("/download?n=5")
            #expect(response.status == .ok)
            #expect(response.writes.count == 5)
            #expect(response.flushes == 5)
            #expect(response.body.count == 5000)
            #expect(response.headerFields[.transferEncoding] == nil)
        }
    }

    @Test("a future-based stream body streams")
    func callbackStream() async throws {
        try await withApp { app in
            let response = try await app.test("/callback-stream")
            #expect(response.text == "one,two")
            #expect(response.writes.count == 2)
        }
    }

    @Test("a stream that fails after its head cuts the response short")
    func failingStream() async throws {
        try await withApp { app in
            let response = try await app.test("/failing-stream")
            #expect(!response.isComplete)
            #expect(response.text == "partial")
        }
    }

    @Test("a WebSocket upgrade answers 501")
    func upgrade() async throws {
        try await withApp { app in
            let response = try await app.test(
                "/upgrade",
                headerFields: [
                    .upgrade: "websocket", .connection: "Upgrade", .secWebSocketVersion: "13",
                    .secWebSocketKey: "dGhlIHNhbXBsZSBub25jZQ==",
                ]
            )
            #expect(response.status == .notImplemented)
            let next = try await app.test("/")
            #expect(next.text == "root")
        }
    }
}
