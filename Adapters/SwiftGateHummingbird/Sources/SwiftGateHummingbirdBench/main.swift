// What the adapter adds to a request on the Swift side: the same hello
// request answered by a plain SwiftGate application and by a Hummingbird
// router through SwiftGateHummingbird, in a loop, without a host.
//
//     swift run -c release SwiftGateHummingbirdBench [requests]

import Dispatch
import HTTPTypes
import Hummingbird
import Logging
import SwiftGate
import SwiftGateHummingbird

/// Discards a streamed body.
struct NullWriter: SwiftGate.ResponseBodyWriter {
    func write(_ bytes: [UInt8]) async throws {}
    func flush() async throws {}
}

/// Keeps metadata in a dictionary and drops lines, like the hosts' handler
/// (swift-log's default handler formats its metadata on every change).
struct DictionaryLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {}
}

LoggingSystem.bootstrap { _ in DictionaryLogHandler() }

let environ: [String: String] = [
    "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/hello", "QUERY_STRING": "",
    "REQUEST_URI": "/hello", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "51000", "SERVER_NAME": "localhost",
    "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost:8000",
    "swiftgate.url_scheme": "http",
]
let fields: HTTPFields = [HTTPField.Name("Host")!: "localhost:8000", .userAgent: "bench/1.0", .accept: "*/*"]

func measure(_ name: String, _ app: some SwiftGate.Application, requests: Int) async throws -> Double {
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

/// Hummingbird's own part: the router answering a request and context made
/// without the gateway (as its router test client does), the body gathered.
func measureRouterAlone(
    _ responder: RouterResponder<BasicSwiftGateRequestContext>,
    requests: Int
) async throws -> Double {
    let source = SwiftGateRequestContextSource(
        environ: SwiftGateEnviron(try SwiftGate.Request(environ: environ, headerFields: fields)),
        logger: Logger(label: "bench")
    )
    var bytes = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<requests {
        let head = HTTPRequest(
            method: .get,
            scheme: "http",
            authority: "localhost:8000",
            path: "/hello",
            headerFields: fields
        )
        let request = Hummingbird.Request(head: head, body: Hummingbird.RequestBody(buffer: ByteBuffer()))
        var logger = source.logger
        logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
        let context = BasicSwiftGateRequestContext(
            source: SwiftGateRequestContextSource(environ: source.environ, logger: logger)
        )
        let response = try await responder.respond(to: request, context: context)
        bytes += response.body.contentLength ?? 0
    }
    let perRequest = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(requests)
    print("Hummingbird's router alone: \(Int(perRequest)) ns per request (\(bytes / requests) body bytes)")
    return perRequest
}

let requests = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 200_000
let plain = ApplicationFunction { _ in .text("Hello\n") }
let router = Hummingbird.Router(context: BasicSwiftGateRequestContext.self)
router.get("/hello") { _, _ in "Hello\n" }
let adapted = HummingbirdApplication(router: router)

_ = try await measure("warm-up plain", plain, requests: requests / 10)
_ = try await measure("warm-up hummingbird", adapted, requests: requests / 10)
let base = try await measure("plain SwiftGate", plain, requests: requests)
let hummingbird = try await measure("Hummingbird through the adapter", adapted, requests: requests)
let alone = try await measureRouterAlone(adapted.responder, requests: requests)
print(
    "the adapter and Hummingbird add \(Int(hummingbird - base)) ns per request, of which Hummingbird \(Int(alone)) ns"
)
