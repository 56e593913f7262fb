import Hummingbird
import SwiftGateHummingbird

/// `/files`: a download streamed as it is made, and an upload read as it
/// arrives; neither is ever whole in memory.
struct FileController {
    /// The largest download `GET /files/{bytes}` makes.
    static let largestDownload = 1 << 30

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("{bytes}", use: download)
            .post(use: upload)
    }

    /// `GET /files/{bytes}`: that many bytes of a repeating pattern (the
    /// byte at offset `i` is `i % 251`), written in pieces of about 64 KiB.
    @Sendable func download(request: Request, context: AppRequestContext) async throws -> Response {
        let size = try context.parameters.require("bytes", as: Int.self)
        guard (0...Self.largestDownload).contains(size) else {
            throw HTTPError(.badRequest, message: "bytes must be between 0 and \(Self.largestDownload)")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .contentLength: String(size)],
            body: ResponseBody { writer in
                var offset = 0
                while offset < size {
                    let count = min(Self.pattern.readableBytes, size - offset)
                    try await writer.write(Self.pattern.getSlice(at: Self.pattern.readerIndex, length: count)!)
                    offset += count
                }
                try await writer.finish(nil)
            }
        )
    }

    /// One piece of the download: a whole number of 251-byte periods, so
    /// every piece starts where the pattern does.
    static let pattern = ByteBuffer(bytes: (0..<251 * 261).map { UInt8($0 % 251) })

    /// What `POST /files` answers: the bytes it read and their CRC-32.
    struct UploadSummary: ResponseEncodable {
        let bytes: Int
        let crc32: UInt32
    }

    /// `POST /files`: reads the body piece by piece as Apache passes it on.
    @Sendable func upload(request: Request, context: AppRequestContext) async throws -> UploadSummary {
        var checksum = CRC32()
        var bytes = 0
        for try await piece in request.body {
            bytes += piece.readableBytes
            piece.withUnsafeReadableBytes { checksum.update($0) }
        }
        return UploadSummary(bytes: bytes, crc32: checksum.value)
    }
}

/// CRC-32 (the one zlib, PNG and Ethernet use), a byte at a time.
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    private var crc: UInt32 = 0xFFFF_FFFF

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
    }

    var value: UInt32 { crc ^ 0xFFFF_FFFF }
}
