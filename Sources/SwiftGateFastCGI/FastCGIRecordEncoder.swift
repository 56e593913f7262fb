import CSwiftGate

/// Writes FastCGI records: splits content into records of at most 65535
/// bytes and pads each to a multiple of eight, as the spec recommends.
package enum FastCGIRecordEncoder {
    /// Appends `content` as one or more records of `type` to `out`.
    ///
    /// Empty content makes one empty record, which ends a stream (STDOUT,
    /// STDIN, PARAMS).
    ///
    /// - Parameters:
    ///   - type: The record type.
    ///   - requestID: The request id.
    ///   - content: The content bytes.
    ///   - out: The buffer to append to.
    package static func append(
        type: FastCGIRecordType,
        requestID: UInt16,
        content: UnsafeRawBufferPointer,
        into out: inout [UInt8]
    ) {
        guard !content.isEmpty else {
            FastCGIRecordHeader(type: type, requestID: requestID, contentLength: 0).encode(into: &out)
            return
        }
        var offset = 0
        while offset < content.count {
            let length = min(content.count - offset, FastCGIRecordHeader.maxContentLength)
            let padding = (8 - length % 8) % 8
            FastCGIRecordHeader(
                type: type,
                requestID: requestID,
                contentLength: UInt16(length),
                paddingLength: UInt8(padding)
            ).encode(into: &out)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: content[offset..<offset + length]))
            out.append(contentsOf: repeatElement(0, count: padding))
            offset += length
        }
    }

    /// Appends `content` as one or more records of `type` to `out`.
    ///
    /// - Parameters:
    ///   - type: The record type.
    ///   - requestID: The request id.
    ///   - content: The content bytes.
    ///   - out: The buffer to append to.
    package static func append(type: FastCGIRecordType, requestID: UInt16, content: [UInt8], into out: inout [UInt8]) {
        content.withUnsafeBytes { append(type: type, requestID: requestID, content: $0, into: &out) }
    }

    /// The records of `content` as a new array.
    ///
    /// - Parameters:
    ///   - type: The record type.
    ///   - requestID: The request id.
    ///   - content: The content bytes.
    /// - Returns: The encoded records.
    package static func records(type: FastCGIRecordType, requestID: UInt16, content: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.count + FastCGIRecordHeader.size + 8)
        append(type: type, requestID: requestID, content: content, into: &out)
        return out
    }

    /// Appends the end of a served request: what is left of its output as
    /// STDOUT records, the empty STDOUT that closes the stream, and
    /// END_REQUEST (application status 0, REQUEST_COMPLETE).
    ///
    /// - Parameters:
    ///   - stdout: The last output bytes; may be empty.
    ///   - requestID: The request id.
    ///   - out: The buffer to append to.
    package static func appendResponseEnd(stdout: [UInt8], requestID: UInt16, into out: inout [UInt8]) {
        if !stdout.isEmpty {
            append(type: .stdout, requestID: requestID, content: stdout, into: &out)
        }
        append(type: .stdout, requestID: requestID, content: [], into: &out)
        append(
            type: .endRequest,
            requestID: requestID,
            content: endRequestBody(appStatus: 0, protocolStatus: UInt8(SWIFTGATE_FCGI_REQUEST_COMPLETE)),
            into: &out
        )
    }

    /// The content of an END_REQUEST record.
    ///
    /// - Parameters:
    ///   - appStatus: The application's exit status (0 for a served request).
    ///   - protocolStatus: One of the `SWIFTGATE_FCGI_*` protocol statuses.
    /// - Returns: The eight content bytes.
    package static func endRequestBody(appStatus: UInt32, protocolStatus: UInt8) -> [UInt8] {
        [
            UInt8(truncatingIfNeeded: appStatus >> 24), UInt8(truncatingIfNeeded: appStatus >> 16),
            UInt8(truncatingIfNeeded: appStatus >> 8), UInt8(truncatingIfNeeded: appStatus),
            protocolStatus, 0, 0, 0,
        ]
    }

    /// The content of an UNKNOWN_TYPE record answering a management record.
    ///
    /// - Parameter type: The type that was not understood.
    /// - Returns: The eight content bytes.
    package static func unknownTypeBody(_ type: FastCGIRecordType) -> [UInt8] {
        [type.rawValue, 0, 0, 0, 0, 0, 0, 0]
    }
}
