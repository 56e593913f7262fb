import CSwiftGate
import HTTPTypes
import SwiftGate

/// One request a host passed to `swiftgate_handle`: its `swiftgate_request`,
/// as a body source and a response sink.
///
/// Every host drives applications through it: mod_swiftgate in embedded
/// mode, and the daemon's worker threads (and the development server's),
/// whose callbacks speak FastCGI or HTTP instead of httpd's filters.
///
/// Every call into the host happens on the host thread (through
/// ``HostThreadExecutor/perform(_:)`` when the caller is elsewhere), and only
/// while `swiftgate_handle` is running: afterwards the bridge is closed and
/// calls throw.
final class HostRequestBridge: RequestBodySource, ResponseSink, @unchecked Sendable {
    /// Bytes asked of the host per body read.
    static let readChunkSize = 64 * 1024

    private let request: UnsafePointer<swiftgate_request>
    private let executor: HostThreadExecutor
    // Only touched on the host thread.
    private var open = true
    private var endOfBody = false

    init(request: UnsafePointer<swiftgate_request>, executor: HostThreadExecutor) {
        self.request = request
        self.executor = executor
    }

    /// Ends the bridge; called on the host thread when the request is over.
    func close() {
        open = false
    }

    var isHeadOnly: Bool { request.pointee.flags & SWIFTGATE_REQ_HEAD_ONLY != 0 }

    /// The environ and header fields the host passed, copied as bytes.
    func describe() -> (environ: NameValueStorage, headers: HeaderFieldsStorage) {
        let r = request.pointee
        let environ = NameValueStorage(count: Int(r.environ_count)) { i in Self.buffers(r.environ[i]) }
        let headers = HeaderFieldsStorage(count: Int(r.header_count)) { i in Self.buffers(r.headers[i]) }
        return (environ, headers)
    }

    private static func buffers(_ pair: swiftgate_pair) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        (
            UnsafeRawBufferPointer(start: pair.name, count: pair.name == nil ? 0 : Int(pair.name_len)),
            UnsafeRawBufferPointer(start: pair.value, count: pair.value == nil ? 0 : Int(pair.value_len))
        )
    }

    // MARK: RequestBodySource

    func read() async throws -> [UInt8]? {
        // On the host thread (the usual case) no closure is made for perform.
        if executor.isOnHostThread { return try Self.surface(readOnHost()) }
        return try Self.surface(await executor.perform { self.readOnHost() })
    }

    /// A result's value, with a client that went away thrown as
    /// ``ClientDisconnected`` (the gateway logs it as no application error).
    private static func surface<T>(_ result: Result<T, HostRequestError>) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(.clientGone(let during)): throw ClientDisconnected(during: during)
        case .failure(.host(SWIFTGATE_ERR_CLIENT)): throw ClientDisconnected(during: "sending the response")
        case .failure(let error): throw error
        }
    }

    /// Whether the host says the client has gone away (nil: the host does
    /// not say); asked on the host thread while the request's task waits.
    var clientGonePoll: (() -> Bool)? {
        let r = request.pointee
        guard r.struct_size >= UInt32(MemoryLayout<swiftgate_request>.size), let poll = r.client_gone else {
            return nil
        }
        let ctx = r.ctx
        return { poll(ctx) != 0 }
    }

    private func readOnHost() -> Result<[UInt8]?, HostRequestError> {
        guard open else { return .failure(.closed) }
        if endOfBody { return .success(nil) }
        let r = request.pointee
        var failure: Int64 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: Self.readChunkSize) { buffer, count in
            let n = r.read_body(r.ctx, buffer.baseAddress, UInt64(buffer.count))
            if n < 0 {
                failure = n
                count = 0
            } else {
                count = Int(n)
            }
        }
        if failure == Int64(SWIFTGATE_ERR_CLIENT) {
            return .failure(.clientGone(during: "the request body could not be read"))
        }
        if failure < 0 { return .failure(.read) }
        if bytes.isEmpty {
            endOfBody = true
            return .success(nil)
        }
        return .success(bytes)
    }

    // MARK: ResponseSink

    func sendHead(status: HTTPResponse.Status, headerFields: HTTPFields) async throws {
        if executor.isOnHostThread {
            return try Self.surface(sendHeadOnHost(status: status.code, fields: headerFields))
        }
        try Self.surface(await executor.perform { self.sendHeadOnHost(status: status.code, fields: headerFields) })
    }

    private func sendHeadOnHost(status: Int, fields: HTTPFields) -> Result<Void, HostRequestError> {
        guard open else { return .failure(.closed) }
        let r = request.pointee
        // One stack buffer holds every name and value, another the pairs
        // pointing into it: nothing is allocated on the heap.
        var size = 0
        for field in fields {
            size += field.name.rawName.utf8.count + field.withUnsafeBytesOfValue { $0.count }
        }
        let rc = withUnsafeTemporaryAllocation(of: CChar.self, capacity: max(size, 1)) { chars in
            withUnsafeTemporaryAllocation(of: swiftgate_pair.self, capacity: max(fields.count, 1)) { pairs in
                var used = 0
                var count = 0
                func append(_ bytes: UnsafeRawBufferPointer) {
                    if let base = bytes.baseAddress, !bytes.isEmpty {
                        let to = UnsafeMutableRawPointer(chars.baseAddress! + used)
                        to.copyMemory(from: base, byteCount: bytes.count)
                    }
                    used += bytes.count
                }
                for field in fields {
                    let nameStart = used
                    var name = field.name.rawName
                    name.withUTF8 { append(UnsafeRawBufferPointer($0)) }
                    let valueStart = used
                    field.withUnsafeBytesOfValue { append(UnsafeRawBufferPointer($0)) }
                    pairs[count] = swiftgate_pair(
                        name: chars.baseAddress! + nameStart,
                        name_len: UInt64(valueStart - nameStart),
                        value: chars.baseAddress! + valueStart,
                        value_len: UInt64(used - valueStart)
                    )
                    count += 1
                }
                return r.send_head(r.ctx, Int32(status), pairs.baseAddress, UInt64(count))
            }
        }
        return rc == SWIFTGATE_OK ? .success(()) : .failure(.host(rc))
    }

    func writeBody(_ bytes: [UInt8], flush: Bool) async throws {
        if executor.isOnHostThread { return try Self.surface(writeOnHost(bytes, flush: flush)) }
        try Self.surface(await executor.perform { self.writeOnHost(bytes, flush: flush) })
    }

    private func writeOnHost(_ bytes: [UInt8], flush: Bool) -> Result<Void, HostRequestError> {
        guard open else { return .failure(.closed) }
        let r = request.pointee
        let rc = bytes.withUnsafeBufferPointer {
            r.write_body(r.ctx, $0.baseAddress, UInt64($0.count), flush ? 1 : 0)
        }
        return rc == SWIFTGATE_OK ? .success(()) : .failure(.host(rc))
    }
}

/// Why a call into the host failed.
enum HostRequestError: Error, CustomStringConvertible {
    case closed
    case read
    case clientGone(during: String)
    case host(Int32)

    var description: String {
        switch self {
        case .closed: "the request is over"
        case .read: "the request body could not be read"
        case .clientGone(let during): "the client went away (\(during))"
        case .host(SWIFTGATE_ERR_CLIENT): "the client connection failed"
        case .host(SWIFTGATE_ERR_HEADER): "a response header was refused (see the log line before this one)"
        case .host(SWIFTGATE_ERR_LENGTH): "the body is longer than its Content-Length"
        case .host(SWIFTGATE_ERR_STATE): "body written before the head"
        case .host(let code): "host error \(code)"
        }
    }
}
