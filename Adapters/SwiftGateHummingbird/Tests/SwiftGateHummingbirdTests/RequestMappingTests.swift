import Foundation
import HTTPTypes
import Hummingbird
import SwiftGateHummingbird
import SwiftGateHummingbirdTestApp
import SwiftGateTesting
import Testing

@Suite("Requests reach Hummingbird as its own server would hand them over")
struct RequestMappingTests {
    let app = HummingbirdApplication(router: makeRouter())

    @Test("a route with a path parameter")
    func pathParameter() async throws {
        let response = try await app.test("/todos/42")
        #expect(response.status == .ok)
        #expect(response.headerFields[.contentType] == "application/json; charset=utf-8")
        #expect(try JSONDecoder().decode(Todo.self, from: Data(response.body)) == Todo(id: 42, title: "todo"))
    }

    @Test("a JSON body decoded into a Codable type, and one encoded back")
    func jsonInAndOut() async throws {
        let response = try await app.test(
            "/todos",
            method: .post,
            headerFields: [.contentType: "application/json"],
            body: [Array(#"{"id":7,"#.utf8), Array(#""title":"milk"}"#.utf8)]
        )
        #expect(response.status == .created)
        #expect(try JSONDecoder().decode(Todo.self, from: Data(response.body)) == Todo(id: 7, title: "MILK"))
    }

    @Test("repeated request fields arrive in order; repeated response fields leave in order")
    func repeatedFields() async throws {
        var fields = HTTPFields()
        fields.append(HTTPField(name: HTTPField.Name("X-Tag")!, value: "a"))
        fields.append(HTTPField(name: HTTPField.Name("X-Tag")!, value: "b"))
        let response = try await app.test("/tags", headerFields: fields)
        #expect(response.text == "a|b")
        #expect(response.headerFields[values: .setCookie] == ["a=1", "b=2"])
    }

    @Test("query strings, repeated names and encoded values")
    func queryString() async throws {
        let response = try await app.test("/query?tag=a&tag=b%20c&other=1")
        #expect(response.text == "a|b c")
    }

    @Test("a percent-encoded path is routed encoded, as Hummingbird's server does")
    func percentEncodedPath() async throws {
        let response = try await app.test("/path/hello%20w%C3%B6rld")
        #expect(response.text == "/path/hello%20w%C3%B6rld hello%20w%C3%B6rld")
    }

    @Test("under a mount point the router sees the path below it")
    func subMount() async throws {
        let todo = try await app.test("/todos/3?x=1", scriptName: "/app")
        #expect(todo.status == .ok)
        #expect(try JSONDecoder().decode(Todo.self, from: Data(todo.body)).id == 3)
        let encoded = try await app.test("/path/a%2Bb", scriptName: "/app")
        #expect(encoded.text == "/path/a%2Bb a%2Bb")
        let root = try await app.test("", scriptName: "/app")
        #expect(root.text == "root")
    }

    @Test("a path Apache normalised is routed as PATH_INFO says")
    func normalisedPath() async throws {
        let response = try await app.test(
            "/x/../todos/5",
            scriptName: "/app",
            environ: ["PATH_INFO": "/todos/5"]
        )
        #expect(response.status == .ok)
        #expect(try JSONDecoder().decode(Todo.self, from: Data(response.body)).id == 5)
    }

    @Test("HEAD is answered by the GET route with its Content-Length and no body")
    func head() async throws {
        let get = try await app.test("/todos/1")
        let head = try await app.test("/todos/1", method: .head)
        #expect(head.status == .ok)
        #expect(head.headerFields[.contentLength] == String(get.body.count))
        #expect(head.body.isEmpty)
    }

    @Test("REMOTE_USER, the client's address and the scheme reach the context")
    func apacheKnowledge() async throws {
        let response = try await app.test(
            "/whoami",
            environ: [
                "REMOTE_USER": "alice", "REMOTE_ADDR": "192.0.2.7", "REMOTE_PORT": "40000",
                "swiftgate.url_scheme": "https",
            ]
        )
        #expect(response.text == "alice from 192.0.2.7 over https")
        let anonymous = try await app.test("/whoami")
        #expect(anonymous.text == "nobody from 127.0.0.1 over http")
    }

    @Test("the environ is reachable by name")
    func environ() async throws {
        let response = try await app.test("/environ/SERVER_NAME")
        #expect(response.text == "localhost")
        let unset = try await app.test("/environ/NOT_SET")
        #expect(unset.text == "unset")
    }

    @Test("a 10 MiB upload streams through in the chunks Apache read")
    func streamedUpload() async throws {
        let chunk = [UInt8](repeating: 0x42, count: 64 * 1024)
        let response = try await app.test(
            "/upload",
            method: .post,
            body: Array(repeating: chunk, count: 160)
        )
        #expect(response.text == "10485760 bytes in 160 chunks, largest 65536")
    }
}
