import CSwiftGate
import CoreMetrics
import Foundation
import Synchronization
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

/// What the fake host below was told: each registration's name, and each
/// update as (cell, value).
private let registered = Mutex<[String]>([])
private let updates = Mutex<[(Int32, Double)]>([])

/// A host that keeps metrics: cells are numbered in order of registration.
nonisolated(unsafe) private let metricsHost: UnsafeMutablePointer<swiftgate_host> = {
    let host = UnsafeMutablePointer<swiftgate_host>.allocate(capacity: 1)
    host.initialize(to: swiftgate_host())
    host.pointee.struct_size = UInt32(MemoryLayout<swiftgate_host>.size)
    host.pointee.metric_register = { _, _, name, length in
        let text = String(decoding: UnsafeRawBufferPointer(start: name, count: Int(length)), as: UTF8.self)
        return registered.withLock { names in
            names.append(text)
            return Int32(names.count - 1)
        }
    }
    host.pointee.metric_update = { _, cell, _, value in
        updates.withLock { $0.append((cell, value)) }
    }
    return host
}()

@Suite(.serialized) struct ScoreboardMetricsCacheTests {
    @Test func aMetricMadeAgainFindsItsCellWithoutRegisteringAgain() async throws {
        let metrics = ScoreboardMetrics(host: HostServices(metricsHost))
        let dimensions = [("method", "GET"), ("path", "/hello")]
        var made: [AnyObject] = []
        for _ in 0..<3 {
            let counter = metrics.makeCounter(label: "requests", dimensions: dimensions)
            counter.increment(by: 1)
            made.append(counter as AnyObject)
        }
        // The same thread gets the handler it made before.
        #expect(made[0] === made[1] && made[1] === made[2])
        // Another thread: its own memory, the same cell.
        let other = Thread {
            metrics.makeCounter(label: "requests", dimensions: [("method", "GET"), ("path", "/hello")])
                .increment(by: 2)
        }
        other.start()
        for _ in 0..<500 where updates.withLock({ $0.count }) < 4 {
            try await Task.sleep(for: .milliseconds(10))
        }
        metrics.makeCounter(label: "requests", dimensions: [("method", "GET"), ("path", "/other")]).increment(by: 5)
        #expect(
            registered.withLock { $0 } == [
                "requests{method=\"GET\",path=\"/hello\"}", "requests{method=\"GET\",path=\"/other\"}",
            ]
        )
        #expect(updates.withLock { $0.map(\.0) } == [0, 0, 0, 0, 1])
        #expect(updates.withLock { $0.map(\.1) } == [1, 1, 1, 2, 5])
    }
}
