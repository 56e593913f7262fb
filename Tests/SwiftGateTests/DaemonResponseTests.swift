import CSwiftGate
import Glibc
import Testing

@testable import SwiftGateDaemon

@Suite struct DaemonResponseTests {
    static func fields(_ list: [(String, String)]) -> [(name: [UInt8], value: [UInt8])] {
        list.map { (Array($0.0.utf8), Array($0.1.utf8)) }
    }

    static func text(_ head: ResponseHead) -> String {
        String(decoding: head.bytes, as: UTF8.self)
    }

    @Test func rendersACGIHead() throws {
        let head = try ResponseHead(
            status: 201,
            fields: Self.fields([("Content-Type", "text/plain"), ("Content-Length", "12"), ("X-A", "b\tc")])
        )
        #expect(
            Self.text(head)
                == "Status: 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nX-A: b\tc\r\n\r\n"
        )
        #expect(head.contentLength == 12)
        #expect(head.dropped.isEmpty)
    }

    @Test func anUncommonStatusHasNoReason() throws {
        #expect(Self.text(try ResponseHead(status: 299, fields: [])) == "Status: 299\r\n\r\n")
    }

    @Test(arguments: [0, 100, 199, 600, -1] as [Int32])
    func statusesOutsideTheRangeAreRefused(_ status: Int32) {
        #expect(throws: ResponseHead.Refusal.status(status)) { try ResponseHead(status: status, fields: []) }
    }

    @Test(arguments: ["", "X Bad", "a:b", "X\u{1}", "Ü", "(x)"])
    func namesThatAreNotTokensAreRefused(_ name: String) {
        #expect(throws: ResponseHead.Refusal.name(name)) {
            try ResponseHead(status: 200, fields: Self.fields([(name, "v")]))
        }
    }

    @Test(arguments: ["a\r\nX-Injected: yes", "nul\0", "del\u{7f}", "bell\u{7}", "lf\n"])
    func valuesWithControlBytesAreRefused(_ value: String) {
        #expect(throws: ResponseHead.Refusal.value(name: "X-Test")) {
            try ResponseHead(status: 200, fields: Self.fields([("X-Test", value)]))
        }
    }

    @Test func tokenPunctuationAndHighBytesPass() throws {
        let head = try ResponseHead(status: 200, fields: Self.fields([("X-!#$%&'*+.^_`|~", "caf\u{e9}")]))
        #expect(Self.text(head).contains("X-!#$%&'*+.^_`|~: caf\u{e9}\r\n"))
    }

    @Test(arguments: ["", "-1", "1 2", "0x10", "12a", "9999999999999999999"])
    func badContentLengthsAreRefused(_ value: String) {
        #expect(throws: ResponseHead.Refusal.contentLength(value)) {
            try ResponseHead(status: 200, fields: Self.fields([("Content-Length", value)]))
        }
    }

    @Test func hopByHopFieldsAndStatusAreDropped() throws {
        let head = try ResponseHead(
            status: 200,
            fields: Self.fields([
                ("Connection", "close"), ("Transfer-Encoding", "chunked"), ("Status", "404"), ("X", "y"),
            ])
        )
        #expect(Self.text(head) == "Status: 200 OK\r\nX: y\r\n\r\n")
        #expect(head.dropped == ["Connection", "Transfer-Encoding", "Status"])
    }

    @Test func anApplicationCannotSetTheErrorField() throws {
        // The field would make mod_swiftgate replace the response with an
        // error page: only the daemon's own error answers carry it.
        let head = try ResponseHead(status: 200, fields: Self.fields([("x-swiftgate-error", "500"), ("X", "y")]))
        #expect(Self.text(head) == "Status: 200 OK\r\nX: y\r\n\r\n")
        #expect(head.dropped == ["x-swiftgate-error"])
    }

    @Test func errorResponses() {
        let full = String(decoding: ResponseHead.errorResponse(status: 503, headOnly: false), as: UTF8.self)
        #expect(
            full
                == "Status: 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "X-SwiftGate-Error: 503\r\n\r\nService Unavailable\n"
        )
        let head = String(decoding: ResponseHead.errorResponse(status: 500, headOnly: true), as: UTF8.self)
        #expect(head.hasSuffix("X-SwiftGate-Error: 500\r\n\r\n"))
    }
}

@Suite struct RequestDescriptionTests {
    static func describe(_ pairs: [(String, String)]) throws -> RequestDescription {
        var bytes: [UInt8] = []
        for (name, value) in pairs { FastCGINameValue.append(name: name, value: value, into: &bytes) }
        return RequestDescription(params: bytes, spans: try FastCGINameValue.decode(bytes))
    }

    @Test func headerFieldsAreRebuiltFromCGIVariables() throws {
        let description = try Self.describe([
            ("REQUEST_METHOD", "POST"), ("HTTP_HOST", "example.org"), ("HTTP_X_FOO_BAR", "baz"),
            ("HTTP_ACCEPT_ENCODING", "gzip"), ("CONTENT_TYPE", "text/plain"), ("CONTENT_LENGTH", ""),
            ("HTTPS", "on"), ("HTTP_", "nameless"),
        ])
        let fields = description.headerFields.map { "\($0.name): \($0.value)" }
        #expect(fields == ["Host: example.org", "X-Foo-Bar: baz", "Accept-Encoding: gzip", "Content-Type: text/plain"])
    }

    @Test func gatewayKeysAreAddedWhenMissing() throws {
        var description = try Self.describe([("HTTPS", "on"), ("swiftgate.process_group", "forged")])
        description.addGatewayKeys(processGroup: "site1", callable: "app", applicationGroup: "", threads: 4)
        #expect(description.value("swiftgate.url_scheme") == "https")
        #expect(description.value("swiftgate.multithread") == "1")
        #expect(description.value("swiftgate.multiprocess") == "1")
        #expect(description.value("swiftgate.version") == "1.0")
        #expect(description.value("swiftgate.process_group") == "site1")
        #expect(description.value("swiftgate.callable_object") == "app")
        #expect(description.value("swiftgate.application_group") == "")
        let names = description.environ.map { String(decoding: description.storage[$0.name], as: UTF8.self) }
        #expect(names.filter { $0 == "swiftgate.process_group" }.count == 1)
    }

    @Test func gatewayKeysFromTheFrontEndAreKept() throws {
        var description = try Self.describe([
            ("REQUEST_SCHEME", "http"), ("swiftgate.url_scheme", "https"), ("swiftgate.multithread", "0"),
        ])
        description.addGatewayKeys(processGroup: "", callable: "app", applicationGroup: "g", threads: 8)
        #expect(description.value("swiftgate.url_scheme") == "https")
        #expect(description.value("swiftgate.multithread") == "0")
    }

    @Test func pairsPointAtTheRightBytes() throws {
        var description = try Self.describe([("REQUEST_METHOD", "HEAD"), ("HTTP_X_A", "1")])
        description.set("EXTRA", "yes")
        #expect(description.isHeadOnly)
        let seen = description.withPairs { environ, headers in
            (environ.map(Self.string), headers.map(Self.string))
        }
        #expect(seen.0 == ["REQUEST_METHOD=HEAD", "HTTP_X_A=1", "EXTRA=yes"])
        #expect(seen.1 == ["X-A=1"])
    }

    @Test func namesAndValuesAreNULTerminated() throws {
        let description = try Self.describe([("PATH_INFO", "/x"), ("HTTP_ACCEPT", "*/*")])
        description.withPairs { environ, headers in
            for pair in Array(environ) + Array(headers) {
                #expect(pair.name[Int(pair.name_len)] == 0)
                #expect(pair.value[Int(pair.value_len)] == 0)
                #expect(strlen(pair.name) == Int(pair.name_len))
            }
        }
    }

    static func string(_ pair: swiftgate_pair) -> String {
        let name = UnsafeRawBufferPointer(start: pair.name, count: Int(pair.name_len))
        let value = UnsafeRawBufferPointer(start: pair.value, count: Int(pair.value_len))
        return String(decoding: name, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self)
    }
}
