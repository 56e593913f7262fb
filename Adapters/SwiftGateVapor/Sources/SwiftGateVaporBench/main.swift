// What the adapter adds to a request on the Swift side: the same hello
// request answered by a plain SwiftGate application and by a Vapor route
// (a closure route and an async one) through SwiftGateVapor, in a loop,
// without a host: on the global pool, and on one thread that plays the
// host's serving thread (the request's event loop then).
//
//     swift run -c release SwiftGateVaporBench [requests]

import Dispatch
import Glibc
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

/// One thread that runs a task's jobs and posted work in order, as Apache's
/// hosts run a request on the worker thread serving it: what the bench
/// measures "on a host thread".
final class BenchHostThread: TaskExecutor, RequestThread, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case call(@Sendable () -> Void)
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var queue: [Work] = []
    private var thread = pthread_t()

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        let started = Unmanaged.passRetained(self).toOpaque()
        var made = pthread_t()
        pthread_create(
            &made,
            nil,
            { argument in
                let host = Unmanaged<BenchHostThread>.fromOpaque(argument!).takeRetainedValue()
                host.drain()
                return nil
            },
            started
        )
        pthread_mutex_lock(mutex)
        thread = made
        pthread_mutex_unlock(mutex)
    }

    var isCurrent: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return pthread_equal(thread, pthread_self()) != 0
    }

    func enqueue(_ job: consuming ExecutorJob) {
        add(.job(UnownedJob(job)))
    }

    func post(_ work: @escaping @Sendable () -> Void) -> Bool {
        add(.call(work))
        return true
    }

    private func add(_ work: Work) {
        pthread_mutex_lock(mutex)
        queue.append(work)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func drain() {
        let executor = asUnownedTaskExecutor()
        pthread_mutex_lock(mutex)
        while true {
            while queue.isEmpty {
                pthread_cond_wait(condition, mutex)
            }
            let work = queue.removeFirst()
            pthread_mutex_unlock(mutex)
            switch work {
            case .job(let job): job.runSynchronously(on: executor)
            case .call(let call): call()
            }
            pthread_mutex_lock(mutex)
        }
    }
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
    requests: Int,
    on thread: BenchHostThread? = nil
) async throws -> Double {
    if let thread {
        // The requests' task runs on the thread, as a host runs it.
        return try await Task(executorPreference: thread) {
            try await measure(name, app, path: path, requests: requests, context: RequestContext(thread: thread))
        }.value
    }
    return try await measure(name, app, path: path, requests: requests, context: nil)
}

func measure(
    _ name: String,
    _ app: some SwiftGate.Application,
    path: String,
    requests: Int,
    context: RequestContext?
) async throws -> Double {
    let environ = environ(path)
    var bytes = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<requests {
        let request = try SwiftGate.Request(
            environ: environ,
            headerFields: fields,
            context: context ?? RequestContext()
        )
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
// As Apache's hosts serve them: each request's task on the serving thread,
// which is then the Vapor request's event loop.
let host = BenchHostThread()
_ = try await measure("warm-up vapor on a host thread", vapor, path: "/hello", requests: requests / 10, on: host)
let hostBase = try await measure(
    "plain SwiftGate on a host thread",
    plain,
    path: "/hello",
    requests: requests,
    on: host
)
let hostClosure = try await measure(
    "Vapor closure route on a host thread",
    vapor,
    path: "/hello",
    requests: requests,
    on: host
)
let hostAsync = try await measure(
    "Vapor async route on a host thread",
    vapor,
    path: "/async",
    requests: requests,
    on: host
)
let loop = vapor.application.eventLoopGroup.any()
let hopStart = DispatchTime.now().uptimeNanoseconds
for _ in 0..<requests {
    try await loop.submit {}.get()
}
let hop = Double(DispatchTime.now().uptimeNanoseconds - hopStart) / Double(requests)
print("one round trip to an event loop and back: \(Int(hop)) ns")
print("Vapor through the adapter adds \(Int(closure - base)) ns (closure route), \(Int(async - base)) ns (async route)")
print(
    "on a host thread, Vapor through the adapter adds \(Int(hostClosure - hostBase)) ns (closure route), \(Int(hostAsync - hostBase)) ns (async route)"
)
await vapor.shutdown()
