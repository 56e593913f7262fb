import CSwiftGate

extension HTTPDevRequest {
    /// Calls the application's `swiftgate_handle` with this request.
    ///
    /// - Parameters:
    ///   - application: The started application.
    ///   - environ: The environ pairs.
    ///   - headers: The header field pairs.
    /// - Returns: What `swiftgate_handle` returned.
    func run(
        _ application: StartedApplication,
        environ: UnsafeBufferPointer<swiftgate_pair>,
        headers: UnsafeBufferPointer<swiftgate_pair>
    ) -> Int32 {
        var request = swiftgate_request()
        request.struct_size = UInt32(MemoryLayout<swiftgate_request>.size)
        request.flags = headOnly ? SWIFTGATE_REQ_HEAD_ONLY : 0
        request.environ = environ.baseAddress
        request.environ_count = UInt64(environ.count)
        request.headers = headers.baseAddress
        request.header_count = UInt64(headers.count)
        request.ctx = Unmanaged.passUnretained(self).toOpaque()
        request.read_body = { ctx, buffer, capacity in
            guard let ctx, let buffer else { return Int64(SWIFTGATE_ERR_READ) }
            let count = Int(min(capacity, UInt64(Int32.max)))
            return HTTPDevRequest.of(ctx).readBody(into: UnsafeMutableRawBufferPointer(start: buffer, count: count))
        }
        request.send_head = { ctx, status, fields, count in
            guard let ctx else { return SWIFTGATE_ERR_STATE }
            guard count == 0 || fields != nil else { return SWIFTGATE_ERR_HEADER }
            return HTTPDevRequest.of(ctx).sendHead(
                status: status,
                fields: UnsafeBufferPointer(start: fields, count: Int(count))
            )
        }
        request.write_body = { ctx, data, length, flush in
            guard let ctx else { return SWIFTGATE_ERR_STATE }
            guard length == 0 || data != nil else { return SWIFTGATE_ERR_STATE }
            return HTTPDevRequest.of(ctx).writeBody(
                UnsafeRawBufferPointer(start: data, count: Int(length)),
                flush: flush != 0
            )
        }
        request.log = { ctx, level, message, length in
            guard let ctx, let message else { return }
            HTTPDevRequest.of(ctx).logFromApplication(
                level,
                UnsafeRawBufferPointer(start: message, count: Int(length))
            )
        }
        return withUnsafePointer(to: &request) { application.serve(application.handle, $0) }
    }

    fileprivate static func of(_ ctx: UnsafeMutableRawPointer) -> HTTPDevRequest {
        Unmanaged<HTTPDevRequest>.fromOpaque(ctx).takeUnretainedValue()
    }
}
