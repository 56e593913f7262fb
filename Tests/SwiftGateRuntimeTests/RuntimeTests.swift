import CSwiftGate
import Foundation
import HTTPTypes
import SwiftGate
import SwiftGateRuntime
import Synchronization
import Testing

/// A host that calls the runtime's C entry points the way mod_swiftgate
/// does, from a thread of its own, and records every callback, including
/// whether it arrived on that thread.
final class FakeHost: @unchecked Sendable {
    var environ: [(String, String)]
    var headers: [(String, String)]
    var chunks: [[UInt8]]
    var flags: UInt32 = 0
    var thread: pthread_t?
    var status: Int32 = 0
    var responseHeaders: [(String, String)] = []
    var body: [UInt8] = []
    var flushes = 0
    var callbacks = 0
    var offThread = 0
    /// What client_gone answers (nil: the host offers no client_gone).
    var gone: Bool?
    /// The address of the request being served, while swiftgate_handle
    /// runs (0 otherwise).
    let running = Mutex<UInt>(0)

    init(method: String = "GET", path: String, headers: [(String, String)] = [], chunks: [[UInt8]] = []) {
        environ = [("REQUEST_METHOD", method), ("SCRIPT_NAME", ""), ("PATH_INFO", path), ("QUERY_STRING", "")]
        self.headers = headers
        self.chunks = chunks
    }

    func note() {
        callbacks += 1
        if let thread, pthread_equal(thread, pthread_self()) == 0 { offThread += 1 }
    }

    static func of(_ ctx: UnsafeMutableRawPointer?) -> FakeHost {
        Unmanaged<FakeHost>.fromOpaque(ctx!).takeUnretainedValue()
    }

    static func string(_ p: UnsafePointer<CChar>?, _ n: UInt64) -> String {
        String(decoding: UnsafeRawBufferPointer(start: p, count: Int(n)), as: UTF8.self)
    }

    /// Calls swiftgate_handle on a new thread; returns its result.
    func serve(_ app: UnsafeMutableRawPointer) async -> Int32 {
        let handle = UncheckedPointer(pointer: app)
        return await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.serveHere(handle.pointer)) }
            thread.start()
        }
    }

    private func serveHere(_ app: UnsafeMutableRawPointer) -> Int32 {
        thread = pthread_self()
        var strings: [UnsafeMutablePointer<CChar>] = []
        defer { strings.forEach { free($0) } }
        func pairs(_ list: [(String, String)]) -> [swiftgate_pair] {
            list.map { name, value in
                let n = strdup(name)!, v = strdup(value)!
                strings += [n, v]
                return swiftgate_pair(
                    name: n,
                    name_len: UInt64(strlen(n)),
                    value: v,
                    value_len: UInt64(strlen(v))
                )
            }
        }
        let env = pairs(environ), hdrs = pairs(headers)
        return env.withUnsafeBufferPointer { envBuffer in
            hdrs.withUnsafeBufferPointer { hdrBuffer in
                var request = swiftgate_request()
                request.struct_size = UInt32(MemoryLayout<swiftgate_request>.size)
                request.flags = flags
                request.environ = envBuffer.baseAddress
                request.environ_count = UInt64(envBuffer.count)
                request.headers = hdrBuffer.baseAddress
                request.header_count = UInt64(hdrBuffer.count)
                request.ctx = Unmanaged.passUnretained(self).toOpaque()
                request.read_body = { ctx, buffer, capacity in
                    let host = FakeHost.of(ctx)
                    host.note()
                    guard !host.chunks.isEmpty else { return 0 }
                    let chunk = host.chunks.removeFirst()
                    precondition(chunk.count <= capacity)
                    chunk.withUnsafeBufferPointer { buffer!.update(from: $0.baseAddress!, count: chunk.count) }
                    return Int64(chunk.count)
                }
                request.send_head = { ctx, status, fields, count in
                    let host = FakeHost.of(ctx)
                    host.note()
                    host.status = status
                    for i in 0..<Int(count) {
                        let f = fields![i]
                        host.responseHeaders.append(
                            (FakeHost.string(f.name, f.name_len), FakeHost.string(f.value, f.value_len))
                        )
                    }
                    return SWIFTGATE_OK
                }
                request.write_body = { ctx, data, length, flush in
                    let host = FakeHost.of(ctx)
                    host.note()
                    host.body.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                    if flush != 0 { host.flushes += 1 }
                    return SWIFTGATE_OK
                }
                if gone != nil {
                    request.client_gone = { ctx in FakeHost.of(ctx).gone == true ? 1 : 0 }
                }
                return withUnsafePointer(to: &request) { pointer in
                    running.withLock { $0 = UInt(bitPattern: pointer) }
                    defer { running.withLock { $0 = 0 } }
                    return swiftgate_handle(app, pointer)
                }
            }
        }
    }
}

struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

actor LineWriter {
    func write(_ n: Int, to writer: any ResponseBodyWriter) async throws {
        for i in 0..<n { try await writer.write("line \(i)\n") }
    }
}

@Suite struct RuntimeTests {
    static func start(_ exported: UnsafeMutableRawPointer) -> (UnsafeMutableRawPointer?, String) {
        var info = swiftgate_app_info()
        info.struct_size = UInt32(MemoryLayout<swiftgate_app_info>.size)
        var error = [CChar](repeating: 0, count: 256)
        let app = "test".withCString { callable in
            info.callable = callable
            return swiftgate_start(exported, &info, &error, UInt64(error.count))
        }
        let text = error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return (app, String(decoding: text, as: UTF8.self))
    }

    nonisolated(unsafe) static let app: UnsafeMutableRawPointer = {
        var router = Router()
        router.post("/echo") { request in
            Response(
                body: ResponseBody { writer in
                    for try await chunk in request.body { try await writer.write(chunk) }
                }
            )
        }
        router.get("/actor") { _ in
            Response(
                body: ResponseBody { writer in
                    try await LineWriter().write(100, to: writer)
                    try await writer.flush()
                }
            )
        }
        router.get("/fail") { _ in throw CancellationError() }
        router.get("/wait") { _ in
            try await Task.sleep(for: .seconds(60))
            return .text("not cancelled\n")
        }
        router.get("/spin") { _ in
            // Never awaits: only swiftgate_cancel from another thread ends it.
            while !Task.isCancelled { usleep(1000) }
            throw CancellationError()
        }
        router.get("/detached") { _ in
            // Work on another executor, then back: the body still reaches
            // the host on its thread.
            let text = await Task.detached { "from elsewhere\n" }.value
            return Response(body: ResponseBody { writer in try await writer.write(text) })
        }
        return start(export(router)).0!
    }()

    @Test func abiVersionMatchesTheHeader() {
        #expect(swiftgate_abi_version() == SWIFTGATE_ABI_VERSION)
    }

    @Test func echoStreamsTheBodyBackOnTheHostThread() async throws {
        let chunks = (0..<20).map { [UInt8](repeating: UInt8($0), count: 4096) }
        let host = FakeHost(method: "POST", path: "/echo", chunks: chunks)
        let rc = await host.serve(Self.app)
        #expect(rc == SWIFTGATE_OK)
        #expect(host.status == 200)
        #expect(host.body == chunks.flatMap { $0 })
        #expect(host.callbacks > 20)
        #expect(host.offThread == 0)
    }

    @Test func writesFromAnActorStillReachTheHostOnItsThread() async throws {
        let host = FakeHost(path: "/actor")
        let rc = await host.serve(Self.app)
        #expect(rc == SWIFTGATE_OK)
        #expect(String(decoding: host.body, as: UTF8.self) == (0..<100).map { "line \($0)\n" }.joined())
        #expect(host.flushes == 1)
        #expect(host.offThread == 0)
    }

    @Test func hoppingAwayAndBackStaysOnTheHostThread() async throws {
        let host = FakeHost(path: "/detached")
        #expect(await host.serve(Self.app) == SWIFTGATE_OK)
        #expect(String(decoding: host.body, as: UTF8.self) == "from elsewhere\n")
        #expect(host.offThread == 0)
    }

    @Test func anApplicationErrorIs500WithNothingSent() async throws {
        let host = FakeHost(path: "/fail")
        #expect(await host.serve(Self.app) == 500)
        #expect(host.status == 0)
        #expect(host.body.isEmpty)
    }

    @Test func oneThreadServesManyRequestsInARow() async throws {
        for i in 0..<200 {
            let host = FakeHost(method: "POST", path: "/echo", chunks: [Array("request \(i)".utf8)])
            #expect(await host.serve(Self.app) == SWIFTGATE_OK)
            #expect(String(decoding: host.body, as: UTF8.self) == "request \(i)")
        }
    }

    @Test func aFailingFactoryReportsWhy() {
        struct Nope: Error, CustomStringConvertible { var description: String { "no database here" } }
        let exported = export { (_: Settings) async throws -> Router in throw Nope() }
        let (app, message) = Self.start(exported)
        #expect(app == nil)
        #expect(message == "no database here")
    }
}

@Suite struct CancellationTests {
    @Test func aClientThatIsGoneCancelsTheWaitingTask() async throws {
        let host = FakeHost(path: "/wait")
        host.gone = true
        // The task waits 60 s unless the runtime asks client_gone and
        // cancels it: the application's error is answered 500.
        #expect(await host.serve(RuntimeTests.app) == 500)
        #expect(host.status == 0)
    }

    @Test func swiftgateCancelEndsATaskFromAnotherThread() async throws {
        let host = FakeHost(path: "/spin")
        let served = Task { await host.serve(RuntimeTests.app) }
        var cancelled: Int32 = 0
        for _ in 0..<5000 where cancelled == 0 {
            cancelled = host.running.withLock { address in
                UnsafePointer<swiftgate_request>(bitPattern: address).map { swiftgate_cancel(RuntimeTests.app, $0) }
                    ?? 0
            }
            if cancelled == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        #expect(cancelled == 1)
        #expect(await served.value == 500)
        // Nothing runs under that address any more.
        var request = swiftgate_request()
        #expect(swiftgate_cancel(RuntimeTests.app, &request) == 0)
    }
}
