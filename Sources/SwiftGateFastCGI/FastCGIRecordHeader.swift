import CSwiftGate

/// The eight bytes in front of every FastCGI record.
///
/// Layout (FastCGI 1.0): version, type, request id (2 bytes, big-endian),
/// content length (2 bytes, big-endian), padding length, one reserved byte.
/// A record's content is at most 65535 bytes by construction of the header.
package struct FastCGIRecordHeader: Equatable, Sendable {
    /// The size of a header on the wire.
    package static let size = Int(SWIFTGATE_FCGI_HEADER_LEN)
    /// The only protocol version spoken.
    package static let version = UInt8(SWIFTGATE_FCGI_VERSION)
    /// The largest content one record can carry.
    package static let maxContentLength = Int(SWIFTGATE_FCGI_MAX_CONTENT)

    /// The record's type.
    package var type: FastCGIRecordType
    /// The request the record belongs to; 0 for management records.
    package var requestID: UInt16
    /// The number of content bytes after the header.
    package var contentLength: UInt16
    /// The number of padding bytes after the content.
    package var paddingLength: UInt8

    /// Makes a header.
    ///
    /// - Parameters:
    ///   - type: The record type.
    ///   - requestID: The request id (0 for management records).
    ///   - contentLength: The content length.
    ///   - paddingLength: The padding length.
    package init(type: FastCGIRecordType, requestID: UInt16, contentLength: UInt16, paddingLength: UInt8 = 0) {
        self.type = type
        self.requestID = requestID
        self.contentLength = contentLength
        self.paddingLength = paddingLength
    }

    /// Parses a header from the first eight bytes of `bytes`.
    ///
    /// - Parameter bytes: At least eight bytes; any further bytes are ignored.
    /// - Throws: ``FastCGIError/truncated(needed:available:)`` for fewer than
    ///   eight bytes, ``FastCGIError/unsupportedVersion(_:)`` when the version
    ///   byte is not 1.
    package init(parsing bytes: UnsafeRawBufferPointer) throws(FastCGIError) {
        guard bytes.count >= Self.size else {
            throw .truncated(needed: Self.size, available: bytes.count)
        }
        guard bytes[0] == Self.version else { throw .unsupportedVersion(bytes[0]) }
        type = FastCGIRecordType(rawValue: bytes[1])
        requestID = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        contentLength = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        paddingLength = bytes[6]
    }

    /// Parses a header from the first eight bytes of an array.
    ///
    /// - Parameter bytes: At least eight bytes.
    /// - Throws: As ``init(parsing:)-(UnsafeRawBufferPointer)``.
    package init(parsing bytes: [UInt8]) throws(FastCGIError) {
        let result: Result<Self, FastCGIError> = bytes.withUnsafeBytes { raw in
            Result { () throws(FastCGIError) in try Self(parsing: raw) }
        }
        self = try result.get()
    }

    /// The content plus padding that follow the header.
    package var bodyLength: Int { Int(contentLength) + Int(paddingLength) }

    /// Whether the record is a management record (request id 0).
    package var isManagement: Bool { requestID == 0 }

    /// Appends the eight header bytes to `out`.
    ///
    /// - Parameter out: The buffer to append to.
    package func encode(into out: inout [UInt8]) {
        out.append(Self.version)
        out.append(type.rawValue)
        out.append(UInt8(truncatingIfNeeded: requestID >> 8))
        out.append(UInt8(truncatingIfNeeded: requestID))
        out.append(UInt8(truncatingIfNeeded: contentLength >> 8))
        out.append(UInt8(truncatingIfNeeded: contentLength))
        out.append(paddingLength)
        out.append(0)
    }
}
