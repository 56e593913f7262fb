// What the adapter adds to a request on the Swift side: the same hello
// request answered by a plain SwiftGate application and by a Vapor route
// (a closure route and an async one) through SwiftGateVapor, in a loop,
// without a host.
//
//     swift run -c release SwiftGateVaporBench [requests]

import Dispatch
import HTTPTypes
import Logging
import SwiftGate
import SwiftGateVapor
import Vapor

/// Discards a streamed body.
struct NullWriter: SwiftGate.ResponseBodyWriter {
    func write(_ bytes: [UInt8]) async throws {}
    func flush() async throws {}
}

/// Keeps metadata in a dictionary and drops lines, like the hosts' handler
/// at Apache's default `LogLevel warn` (Vapor logs every request at info).
struct DictionaryLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {}
}

LoggingSystem.bootstrap { _ in DictionaryLogHandler() }

func environ(_ path: String) -> [String: String] {
    [
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "REQUEST_URI": path, "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "51000", "SERVER_NAME": "localhost",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost:8000",
        "swiftgate.url_scheme": "http",
    ]
}
let fields: HTTPFields = [HTTPField.Name("Host")!: "localhost:8000", .userAgent: "bench/1.0", .accept: "*/*"]

func measure(
    _ name: String,
    _ app: some SwiftGate.Application,
    path: String,
    requests: Int
) async throws -> Double {
    let environ = environ(path)
    var bytes = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<requests {
        let request = try SwiftGate.Request(environ: environ, headerFields: fields)
        let response = try await app.respond(to: request)
        if let length = response.body.knownLength {
            bytes += length
        } else {
            try await response.body.write(to: NullWriter())
        }
    }
    let perRequest = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(requests)
    print("\(name): \(Int(perRequest)) ns per request (\(bytes / requests) body bytes)")
    return perRequest
}

let requests = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 100_000
let plain = ApplicationFunction { _ in .text("Hello\n") }
let vapor = try await VaporApplication.make(settings: Settings(environment: [:]), environment: .production) { app in
    app.get("hello") { _ in "Hello\n" }
    app.get("async") { _ async in "Hello\n" }
}

_ = try await measure("warm-up plain", plain, path: "/hello", requests: requests / 10)
_ = try await measure("warm-up vapor", vapor, path: "/hello", requests: requests / 10)
let base = try await measure("plain SwiftGate", plain, path: "/hello", requests: requests)
let closure = try await measure("Vapor closure route", vapor, path: "/hello", requests: requests)
let async = try await measure("Vapor async route", vapor, path: "/async", requests: requests)
let loop = vapor.application.eventLoopGroup.any()
let hopStart = DispatchTime.now().uptimeNanoseconds
for _ in 0..<requests {
    try await loop.submit {}.get()
}
let hop = Double(DispatchTime.now().uptimeNanoseconds - hopStart) / Double(requests)
print("one round trip to an event loop and back: \(Int(hop)) ns")
print("Vapor through the adapter adds \(Int(closure - base)) ns (closure route), \(Int(async - base)) ns (async route)")
await vapor.shutdown()
