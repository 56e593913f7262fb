import SwiftGateFastCGI
import Testing

@testable import SwiftGateDaemon

@Suite struct HealthAnswerTests {
    static func asks(_ pairs: [(String, String)], _ path: String = "/health") throws -> Bool {
        HealthAnswer.asks(try AccessCheckTests.describe(pairs), for: path)
    }

    @Test func thePathMatchesExactlyWhateverTheQuery() throws {
        #expect(try Self.asks([("REQUEST_URI", "/health")]))
        #expect(try Self.asks([("REQUEST_URI", "/health?probe=1")]))
        #expect(try Self.asks([("REQUEST_URI", "/health?")]))
        #expect(try !Self.asks([("REQUEST_URI", "/health/")]))
        #expect(try !Self.asks([("REQUEST_URI", "/healthz")]))
        #expect(try !Self.asks([("REQUEST_URI", "/Health")]))
        #expect(try !Self.asks([("REQUEST_URI", "/app/health")]))
    }

    @Test func scriptNameAndPathInfoTogetherMatchToo() throws {
        #expect(try Self.asks([("SCRIPT_NAME", ""), ("PATH_INFO", "/health")]))
        #expect(try Self.asks([("SCRIPT_NAME", "/app"), ("PATH_INFO", "/health")], "/app/health"))
        #expect(try Self.asks([("SCRIPT_NAME", "/health")]))
        #expect(try !Self.asks([("SCRIPT_NAME", "/app"), ("PATH_INFO", "/health")]))
        #expect(try !Self.asks([]))
        // Either form may say it: a front that rewrites PATH_INFO still
        // sends the client's REQUEST_URI.
        #expect(try Self.asks([("REQUEST_URI", "/elsewhere"), ("SCRIPT_NAME", ""), ("PATH_INFO", "/health")]))
    }

    @Test func theAnswersAreCompleteCGIResponses() {
        let ok = String(decoding: HealthAnswer.response(method: "GET", leaving: false), as: UTF8.self)
        #expect(ok.hasPrefix("Status: 200 OK\r\n"))
        #expect(ok.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        #expect(ok.contains("Cache-Control: no-store\r\n"))
        #expect(ok.hasSuffix("Content-Length: 3\r\n\r\nok\n"))
        let draining = String(decoding: HealthAnswer.response(method: "GET", leaving: true), as: UTF8.self)
        #expect(draining.hasPrefix("Status: 503 Service Unavailable\r\n"))
        #expect(draining.hasSuffix("Content-Length: 9\r\n\r\ndraining\n"))
        let head = String(decoding: HealthAnswer.response(method: "HEAD", leaving: false), as: UTF8.self)
        #expect(head.hasSuffix("Content-Length: 3\r\n\r\n"))
        let post = String(decoding: HealthAnswer.response(method: "POST", leaving: false), as: UTF8.self)
        #expect(post.hasPrefix("Status: 405 Method Not Allowed\r\n"))
        #expect(post.contains("Allow: GET, HEAD\r\n"))
    }

    @Test(arguments: ["/health", "/-/ready", "/a/b.c", "/%68ealth"])
    func goodPathsAreTaken(_ path: String) {
        #expect(HealthAnswer.problem(with: path) == nil)
    }

    @Test(arguments: ["", "health", "/a b", "/a\tb", "/a\u{7f}", "/a?b", "/a#b", "/a\nb"])
    func badPathsAreRefused(_ path: String) {
        #expect(HealthAnswer.problem(with: path) != nil)
    }
}
