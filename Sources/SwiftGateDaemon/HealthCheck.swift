import CSwiftGate
import SwiftGateHosting

/// The request a daemon makes to each preloaded application before it
/// serves (`health-check=/path`): a GET of the path, answered in memory.
/// Only a 2xx status passes; whatever the body says is dropped.
final class HealthCheck: HostedRequest {
    let headOnly = false
    private(set) var status: Int32 = 0
    private let log: HostLog
    private let label: String

    private init(log: HostLog, label: String) {
        self.log = log
        self.label = label
    }

    /// Asks one started application for `path`.
    ///
    /// - Returns: nil when it answered 2xx, else what went wrong.
    static func probe(
        _ application: StartedApplication,
        key: ApplicationKey,
        path: String,
        processGroup: String,
        log: HostLog
    ) -> String? {
        let check = HealthCheck(log: log, label: "health check GET \(path) of \(key)")
        let split = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let environ: [(String, String)] = [
            ("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", ""), ("PATH_INFO", String(split[0])),
            ("QUERY_STRING", split.count > 1 ? String(split[1]) : ""), ("REQUEST_URI", path),
            ("SCRIPT_FILENAME", key.library), ("SERVER_NAME", "localhost"), ("SERVER_PORT", "0"),
            ("SERVER_PROTOCOL", "HTTP/1.1"), ("REMOTE_ADDR", "127.0.0.1"), ("REQUEST_SCHEME", "http"),
            (SWIFTGATE_ENV_URL_SCHEME, "http"), (SWIFTGATE_ENV_PROCESS_GROUP, processGroup),
            (SWIFTGATE_ENV_APPLICATION_GROUP, key.group), (SWIFTGATE_ENV_CALLABLE_OBJECT, key.callable),
            (SWIFTGATE_ENV_VERSION, SWIFTGATE_INTERFACE_VERSION), (SWIFTGATE_ENV_MULTITHREAD, "1"),
            (SWIFTGATE_ENV_MULTIPROCESS, "1"), ("HTTP_HOST", "localhost"),
        ]
        let headers = [("Host", "localhost")]
        let rc = withPairs(environ) { environ in
            withPairs(headers) { headers in check.run(application, environ: environ, headers: headers) }
        }
        if (200..<300).contains(check.status) { return nil }
        if check.status != 0 { return "GET \(path) answered \(check.status)" }
        return "GET \(path) failed without a response (swiftgate_handle returned \(rc))"
    }

    /// Calls `body` with `list` as `swiftgate_pair`s over one buffer.
    private static func withPairs<R>(
        _ list: [(String, String)],
        _ body: (UnsafeBufferPointer<swiftgate_pair>) -> R
    ) -> R {
        var bytes: [UInt8] = []
        var spans: [(Int, Int, Int, Int)] = []
        for (name, value) in list {
            let n = bytes.count
            bytes += Array(name.utf8)
            let v = bytes.count
            bytes += Array(value.utf8)
            spans.append((n, v - n, v, bytes.count - v))
        }
        return bytes.withUnsafeBufferPointer { raw in
            let base = UnsafeRawPointer(raw.baseAddress!).assumingMemoryBound(to: CChar.self)
            let pairs = spans.map { span in
                swiftgate_pair(
                    name: base + span.0,
                    name_len: UInt64(span.1),
                    value: base + span.2,
                    value_len: UInt64(span.3)
                )
            }
            return pairs.withUnsafeBufferPointer(body)
        }
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int64 { 0 }

    func sendHead(status: Int32, fields: UnsafeBufferPointer<swiftgate_pair>) -> Int32 {
        self.status = status
        return SWIFTGATE_OK
    }

    func writeBody(_ data: UnsafeRawBufferPointer, flush: Bool) -> Int32 { SWIFTGATE_OK }

    func logFromApplication(_ level: Int32, _ message: UnsafeRawBufferPointer) {
        log.log(level, "\(label): \(String(decoding: message, as: UTF8.self))")
    }
}
