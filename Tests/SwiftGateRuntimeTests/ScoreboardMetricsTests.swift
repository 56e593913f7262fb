import Testing

@testable import SwiftGateRuntime

/// The names the metrics backend gives the host: Prometheus' text form,
/// whatever an application calls its metrics.
@Suite struct ScoreboardMetricsTests {
    @Test func namesAndLabelsAreMadeValid() {
        #expect(ScoreboardMetrics.exposition("http.requests", []) == "http_requests")
        #expect(ScoreboardMetrics.exposition("9lives", []) == "_lives")
        #expect(ScoreboardMetrics.exposition("a:b", [("route", "/x")]) == "a:b{route=\"/x\"}")
        #expect(
            ScoreboardMetrics.exposition("m", [("bad-key", "say \"hi\"\\\n"), ("k", "v")])
                == "m{bad_key=\"say \\\"hi\\\"\\\\\\n\",k=\"v\"}"
        )
        #expect(ScoreboardMetrics.exposition("", []) == "_")
    }
}
