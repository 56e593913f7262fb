import HTTPTypes
import SwiftGate
import SwiftGateTesting
import Synchronization
import Testing

@Suite struct ServeTests {
    @Test func bytesBodyGetsItsContentLength() async throws {
        let response = try await ApplicationFunction { _ in .text("hello") }.test("/")
        #expect(response.outcome == .complete)
        #expect(response.isComplete)
        #expect(response.headerFields[.contentLength] == "5")
        #expect(response.headerFields[.contentType] == "text/plain; charset=utf-8")
        #expect(response.text == "hello")
    }

    @Test func aWrongDeclaredLengthIsRefusedBeforeAnythingIsSent() async throws {
        let app = ApplicationFunction { _ in
            Response(headerFields: [.contentLength: "3"], body: ResponseBody(string: "not three"))
        }
        let sink = RecordingSink()
        let outcome = await app.serve(try Request(environ: ["REQUEST_METHOD": "GET"]), to: sink)
        #expect(outcome == .failedBeforeHead(status: 500))
        #expect(sink.headCount == 0)
    }

    @Test func noContentHasNoLength() async throws {
        let response = try await ApplicationFunction { _ in Response(status: .noContent) }.test("/")
        #expect(response.status == .noContent)
        #expect(response.headerFields[.contentLength] == nil)
    }

    @Test func streamedBodyArrivesInOrderWithFlushes() async throws {
        let app = ApplicationFunction { _ in
            Response(
                body: ResponseBody { writer in
                    for i in 0..<1000 {
                        try await writer.write("\(i),")
                        try await writer.flush()
                    }
                }
            )
        }
        let response = try await app.test("/")
        #expect(response.writes.count == 1000)
        #expect(response.flushes == 1000)
        #expect(response.headerFields[.contentLength] == nil)
        #expect(response.text == (0..<1000).map { "\($0)," }.joined())
    }

    @Test func aWriterThatEscapesIsDeadAfterTheResponse() async throws {
        let escaped = EscapedWriter()
        let app = ApplicationFunction { _ in
            Response(body: ResponseBody { writer in escaped.set(writer) })
        }
        _ = try await app.test("/")
        let writer = try #require(escaped.get())
        await #expect(throws: ResponseWriterClosed.self) { try await writer.write("late") }
    }

    @Test func headerValuesCannotSplitAResponse() async throws {
        let app = ApplicationFunction { _ in
            var response = Response.text("x")
            response.headerFields[HTTPField.Name("X-Test")!] = "a\r\nSet-Cookie: evil=1\u{0}"
            return response
        }
        let response = try await app.test("/")
        let value = try #require(response.headerFields[HTTPField.Name("X-Test")!])
        #expect(!value.contains("\r") && !value.contains("\n") && !value.contains("\u{0}"))
        #expect(response.headerFields[.setCookie] == nil)
        #expect(HTTPField.Name("Bad Name") == nil)
        #expect(HTTPField.Name("X\r\nY") == nil)
    }

    @Test func requestFieldsComeFromTheEnviron() async throws {
        let request = try Request(environ: [
            "REQUEST_METHOD": "POST", "SCRIPT_NAME": "/app", "PATH_INFO": "/a b",
            "QUERY_STRING": "x=1&y=%C3%A9+z", "REMOTE_ADDR": "10.1.2.3", "REMOTE_USER": "ann",
            "REQUEST_URI": "/app/a%20b?x=1&y=%C3%A9+z", "HTTP_HOST": "example.org",
            EnvironKey.urlScheme: "https",
        ])
        #expect(request.method == .post)
        #expect(request.scriptName == "/app")
        #expect(request.pathInfo == "/a b")
        #expect(request.routePath == "/a b")
        #expect(request.queryValue("y") == "é z")
        #expect(request.remoteUser == "ann")
        #expect(request.remoteAddress == "10.1.2.3")
        #expect(request.head.scheme == "https")
        #expect(request.head.authority == "example.org")
        #expect(request.target == "/app/a%20b?x=1&y=%C3%A9+z")
        #expect(throws: RequestError.invalidMethod("")) { try Request(environ: [:]) }
        #expect(throws: RequestError.invalidMethod("GE T")) { try Request(environ: ["REQUEST_METHOD": "GE T"]) }
    }

    @Test func aRequestNeverContradictsItsEnviron() throws {
        var request = try Request(environ: [
            "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/app", "PATH_INFO": "/old", "QUERY_STRING": "a=1",
            "REMOTE_USER": "ann",
        ])
        #expect(request.target == "/app/old?a=1")
        request.environ["PATH_INFO"] = "/new"
        #expect(request.pathInfo == "/new")
        #expect(request.routePath == "/new")
        #expect(request.target == "/app/new?a=1")
        request.pathInfo = "/newer"
        request.method = .post
        request.remoteUser = nil
        #expect(request.environ["PATH_INFO"] == "/newer")
        #expect(request.environValue("REQUEST_METHOD") == "POST")
        #expect(request.environ["REMOTE_USER"] == nil)
        #expect(request.head.method == .post)
        request.environ = ["REQUEST_METHOD": "PUT"]
        #expect(request.method == .put)
        #expect(request.scriptName == "" && request.pathInfo == "" && request.routePath == "/")
        #expect(request.query == "" && request.remoteAddress == "" && request.remoteUser == nil)
        #expect(request.target == "")
    }

    @Test func routerAnswers404And405AndHead() async throws {
        var router = Router()
        router.get("/a") { _ in .text("a") }
        router.post("/a") { _ in .text("posted") }
        #expect(try await router.test("/missing").status == .notFound)
        #expect(try await router.test("/a", method: .post).text == "posted")
        let head = try await router.test("/a", method: .head)
        #expect(head.status == .ok)
        let put = try await router.test("/a", method: .put)
        #expect(put.status == .methodNotAllowed)
        #expect(put.headerFields[.allow] == "GET, POST")
        #expect(try await router.test("", scriptName: "/mount").status == .notFound)
    }

    @Test func formDecoding() {
        let pairs = FormDecoder.decode("a=1&b=two+words&c=%41%zz&d&=e")
        #expect(pairs.map(\.name) == ["a", "b", "c", "d", ""])
        #expect(pairs.map(\.value) == ["1", "two words", "A%zz", "", "e"])
        #expect(FormDecoder.unescape("a+b%2B", plusIsSpace: false) == "a+b+")
    }
}

final class EscapedWriter: Sendable {
    private let slot = MutexSlot()
    func set(_ w: any ResponseBodyWriter) { slot.set(w) }
    func get() -> (any ResponseBodyWriter)? { slot.get() }
}

final class MutexSlot: Sendable {
    private let m = Mutex<(any ResponseBodyWriter)?>(nil)
    func set(_ w: any ResponseBodyWriter) { m.withLock { $0 = w } }
    func get() -> (any ResponseBodyWriter)? { m.withLock { $0 } }
}

@Suite struct NameValueStorageTests {
    /// Hands `pairs` to a host-side storage's initialiser as raw buffers.
    private static func copied<Storage>(
        _ pairs: [(String, String)],
        _ make: (Int, (Int) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)) -> Storage
    ) -> Storage {
        let bytes = pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) }
        return make(bytes.count) { i in
            bytes[i].0.withUnsafeBytes { name in
                bytes[i].1.withUnsafeBytes { value in
                    // Valid for the call only, as a host's pairs are.
                    (
                        UnsafeRawBufferPointer(start: name.baseAddress, count: name.count),
                        UnsafeRawBufferPointer(start: value.baseAddress, count: value.count)
                    )
                }
            }
        }
    }

    private static func storage(_ pairs: [(String, String)]) -> NameValueStorage {
        copied(pairs) { NameValueStorage(count: $0, pair: $1) }
    }

    private static func headers(_ pairs: [(String, String)]) -> HeaderFieldsStorage {
        copied(pairs) { HeaderFieldsStorage(count: $0, pair: $1) }
    }

    @Test func aHostsEnvironReadsLikeTheDictionaryItBecomes() throws {
        let pairs = [
            ("REQUEST_METHOD", "POST"), ("PATH_INFO", "/a/ü"), ("X_TWICE", "1"), ("X_TWICE", "2"),
            ("HTTP_HOST", "example.org"), ("EMPTY", ""), ("swiftgate.url_scheme", "https"),
        ]
        let request = try Request(
            environ: Self.storage(pairs),
            headers: Self.headers([]),
            body: .empty,
            context: RequestContext()
        )
        #expect(request.method == .post)
        #expect(request.pathInfo == "/a/ü")
        #expect(request.scheme == "https")
        #expect(request.head.authority == "example.org")
        #expect(request.environValue("X_TWICE") == "2")
        #expect(request.environValue("EMPTY") == "")
        #expect(request.environValue("MISSING") == nil)
        #expect(request.environ.count == 6)
        #expect(request.environ["X_TWICE"] == "2")
        var changed = request
        changed.environ["X_TWICE"] = "3"
        #expect(changed.environValue("X_TWICE") == "3")
        #expect(request.environValue("X_TWICE") == "2")
    }

    /// Values as bytes: ASCII ones (which take a shorter way), UTF-8,
    /// bytes that are no UTF-8 and bytes a field value may not hold; each
    /// becomes the field `HTTPField` makes of those bytes.
    @Test func aHostsHeaderValuesBecomeWhatHTTPFieldMakesOfTheirBytes() throws {
        let values: [[UInt8]] = [
            Array("text/html".utf8), Array("".utf8), Array("caf\u{e9}".utf8), [0x63, 0x61, 0x66, 0xE9],
            [0x61, 0x00, 0x62], [0x20, 0x61, 0x09], [0x61, 0x0D, 0x0A, 0x62], [0x61, 0x7F, 0x62],
        ]
        let name = Array("X-Value".utf8)
        let storage = name.withUnsafeBytes { nameBytes in
            HeaderFieldsStorage(count: values.count) { i in
                values[i].withUnsafeBytes { value in
                    (nameBytes, UnsafeRawBufferPointer(start: value.baseAddress, count: value.count))
                }
            }
        }
        let request = try Request(
            environ: Self.storage([("REQUEST_METHOD", "GET")]),
            headers: storage,
            body: .empty,
            context: RequestContext()
        )
        let fields = Array(request.headerFields)
        #expect(fields.count == values.count)
        for (field, value) in zip(fields, values) {
            let expected = HTTPField(name: HTTPField.Name("x-value")!, value: value)
            #expect(field == expected, "value bytes \(value)")
            #expect(field.withUnsafeBytesOfValue { Array($0) } == expected.withUnsafeBytesOfValue { Array($0) })
        }
        #expect(fields[2].value == "caf\u{e9}")
        #expect(fields[4].value == "a b")
    }

    @Test func aHostsHeaderFieldsReadAsHTTPFields() throws {
        let request = try Request(
            environ: Self.storage([("REQUEST_METHOD", "GET")]),
            headers: Self.headers([
                ("Host", "example.org"), ("X-Twice", "1"), ("X-Twice", "2"), ("Bad Name", "x"),
                ("Accept", "text/html"),
            ]),
            body: .empty,
            context: RequestContext()
        )
        #expect(request.headerFields[HTTPField.Name("host")!] == "example.org")
        #expect(request.headerFields[values: HTTPField.Name("x-twice")!] == ["1", "2"])
        #expect(request.headerFields.count == 4)  // the pair that is no field name is left out
        #expect(request.head.headerFields[.accept] == "text/html")
        var changed = request
        changed.headerFields[.accept] = "*/*"
        #expect(changed.headerFields[.accept] == "*/*")
        #expect(request.headerFields[.accept] == "text/html")
    }
}
