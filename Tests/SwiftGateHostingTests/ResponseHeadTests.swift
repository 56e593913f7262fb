import Testing

@testable import SwiftGateHosting

@Suite struct ResponseHeadTests {
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
