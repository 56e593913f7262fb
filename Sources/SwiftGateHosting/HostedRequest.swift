import CSwiftGate

/// A request a host (the FastCGI daemon, the development server) serves
/// through the application's C entry points: the Swift side of the four
/// `swiftgate_request` callbacks.
package protocol HostedRequest: AnyObject {
    /// Whether the request is a HEAD request (the body is dropped).
    var headOnly: Bool { get }
    /// `read_body`: the next body bytes, 0 at the end, or SWIFTGATE_ERR_READ.
    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> Int64
    /// `send_head`: checks and sends the status and fields.
    func sendHead(status: Int32, fields: UnsafeBufferPointer<swiftgate_pair>) -> Int32
    /// `write_body`: body bytes, and whether to send them now.
    func writeBody(_ data: UnsafeRawBufferPointer, flush: Bool) -> Int32
    /// `log`: a line the application logs against this request.
    func logFromApplication(_ level: Int32, _ message: UnsafeRawBufferPointer)
}

extension HostedRequest {
    /// Calls the application's `swiftgate_handle` with this request.
    ///
    /// - Parameters:
    ///   - application: The started application.
    ///   - environ: The environ pairs.
    ///   - headers: The header field pairs.
    ///   - running: Told the `swiftgate_request` just before
    ///     `swiftgate_handle` is called, and nil just after it returned: the
    ///     window in which `swiftgate_cancel` may name it.
    /// - Returns: What `swiftgate_handle` returned.
    package func run(
        _ application: StartedApplication,
        environ: UnsafeBufferPointer<swiftgate_pair>,
        headers: UnsafeBufferPointer<swiftgate_pair>,
        running: ((UnsafePointer<swiftgate_request>?) -> Void)? = nil
    ) -> Int32 {
        var request = swiftgate_request()
        request.struct_size = UInt32(MemoryLayout<swiftgate_request>.size)
        request.flags = headOnly ? SWIFTGATE_REQ_HEAD_ONLY : 0
        request.environ = environ.baseAddress
        request.environ_count = UInt64(environ.count)
        request.headers = headers.baseAddress
        request.header_count = UInt64(headers.count)
        request.ctx = Unmanaged.passUnretained(self as AnyObject).toOpaque()
        request.read_body = { ctx, buffer, capacity in
            guard let ctx, let buffer else { return Int64(SWIFTGATE_ERR_READ) }
            let count = Int(min(capacity, UInt64(Int32.max)))
            return hosted(ctx).readBody(into: UnsafeMutableRawBufferPointer(start: buffer, count: count))
        }
        request.send_head = { ctx, status, fields, count in
            guard let ctx else { return SWIFTGATE_ERR_STATE }
            guard count == 0 || fields != nil else { return SWIFTGATE_ERR_HEADER }
            return hosted(ctx).sendHead(status: status, fields: UnsafeBufferPointer(start: fields, count: Int(count)))
        }
        request.write_body = { ctx, data, length, flush in
            guard let ctx else { return SWIFTGATE_ERR_STATE }
            guard length == 0 || data != nil else { return SWIFTGATE_ERR_STATE }
            return hosted(ctx).writeBody(UnsafeRawBufferPointer(start: data, count: Int(length)), flush: flush != 0)
        }
        request.log = { ctx, level, message, length in
            guard let ctx, let message else { return }
            hosted(ctx).logFromApplication(level, UnsafeRawBufferPointer(start: message, count: Int(length)))
        }
        return withUnsafePointer(to: &request) { pointer in
            running?(pointer)
            defer { running?(nil) }
            return application.serve(application.handle, pointer)
        }
    }
}

/// The request behind a callback's `ctx`.
private func hosted(_ ctx: UnsafeMutableRawPointer) -> any HostedRequest {
    // The ctx is always a HostedRequest: `run` is the only place that sets it.
    Unmanaged<AnyObject>.fromOpaque(ctx).takeUnretainedValue() as! any HostedRequest
}
