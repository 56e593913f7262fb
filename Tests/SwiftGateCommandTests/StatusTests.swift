import Testing

@testable import swiftgate

/// `swiftgate status`: the URLs it takes, the HTTP answers it believes, the
/// table it prints.
@Suite struct StatusTests {
    @Test func targets() throws {
        #expect(
            try StatusClient.target("http://127.0.0.1:8080/status")
                == .init(host: "127.0.0.1", port: 8080, path: "/status")
        )
        #expect(try StatusClient.target("http://example.test") == .init(host: "example.test", port: 80, path: "/"))
        #expect(try StatusClient.target("http://[::1]:81/s?x") == .init(host: "::1", port: 81, path: "/s?x"))
        #expect(throws: CommandFailure.self) { try StatusClient.target("https://127.0.0.1/status") }
        #expect(throws: CommandFailure.self) { try StatusClient.target("http://127.0.0.1:http/") }
        #expect(throws: CommandFailure.self) { try StatusClient.target("http:///status") }
    }

    @Test func onlyA200IsBelieved() throws {
        let ok = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}".utf8)
        #expect(try StatusClient.body(of: ok, url: "u") == Array("{}".utf8))
        let denied = Array("HTTP/1.1 403 Forbidden\r\n\r\nno".utf8)
        #expect(throws: CommandFailure.self) { try StatusClient.body(of: denied, url: "u") }
        #expect(throws: CommandFailure.self) { try StatusClient.body(of: Array("garbage".utf8), url: "u") }
    }

    @Test func theTableHasARowPerProcessAndTheRequestsLongestFirst() throws {
        let json = """
            {"time":100.0,"groups":[{"name":"shop","embedded":false,"processes":2,"threads":4,"queue":3,
            "slow_request":2,"slots":[{"slot":0,"pid":41,"started":40.0,"requests":12,"busy":2,"threads":4,
            "rss":10485760,"bytes_in":0,"bytes_out":5,"status":{"1xx":0,"2xx":10,"3xx":0,"4xx":2,"5xx":0},
            "library":"/srv/libShop.so","library_mtime":0,"restarts":1,
            "last_exit":{"pid":40,"how":"killed by SIGILL","at":39.0}},
            {"slot":2,"pid":0,"started":0,"requests":0,"busy":0,"threads":4,"rss":0,"bytes_in":0,
            "bytes_out":0,"status":{},"library":"","library_mtime":0,"restarts":0,"last_exit":null}]}],
            "requests":[{"group":"shop","slot":0,"pid":41,"thread":1,"method":"GET","uri":"/slow",
            "client":"10.0.0.7","id":"r1","age":7.25,"slow":true}]}
            """
        let report = try StatusReport.decode(Array(json.utf8), from: "u")
        let text = StatusTable.render(report, url: "http://h/status")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("daemon group shop: 2 process(es) x 4 thread(s), queue 3") })
        let row = try #require(lines.first { $0.contains(" 41 ") })
        #expect(row.contains("[#####.....] 2/4") && row.contains("10.0 MiB") && row.contains("pid 40 killed by SIGILL"))
        #expect(!lines.contains { $0.hasPrefix("  2 ") })  // an empty spare slot is not a row
        #expect(lines.contains { $0.contains("7.3 s SLOW") && $0.contains("GET /slow") && $0.contains("r1") })
    }
}
