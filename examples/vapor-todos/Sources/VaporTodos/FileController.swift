import Vapor

/// `/files`: a download streamed as it is made, and an upload.
struct FileController: RouteCollection {
    /// The largest download `GET /files/:bytes` makes.
    static let largestDownload = 1 << 30

    /// One piece of the download: a whole number of 251-byte periods, so
    /// every piece starts where the pattern does.
    static let pattern = ByteBuffer(bytes: (0..<251 * 261).map { UInt8($0 % 251) })

    func boot(routes: any RoutesBuilder) throws {
        let files = routes.grouped("files")
        files.get(":bytes", use: download)
        files.on(.POST, body: .stream, use: upload)
    }

    /// `GET /files/:bytes`: that many bytes of a repeating pattern (the byte
    /// at offset `i` is `i % 251`), written in pieces of about 64 KiB.
    @Sendable func download(req: Request) async throws -> Response {
        guard let size = req.parameters.get("bytes", as: Int.self), (0...Self.largestDownload).contains(size) else {
            throw Abort(.badRequest, reason: "bytes must be a number between 0 and \(Self.largestDownload)")
        }
        let response = Response(
            body: .init(
                asyncStream: { writer in
                    var offset = 0
                    while offset < size {
                        let count = min(Self.pattern.readableBytes, size - offset)
                        try await writer.writeBuffer(
                            Self.pattern.getSlice(at: Self.pattern.readerIndex, length: count)!
                        )
                        offset += count
                    }
                    try await writer.write(.end)
                },
                count: size
            )
        )
        response.headers.contentType = .binary
        return response
    }

    /// What `POST /files` answers: the bytes it read and their CRC-32.
    struct UploadSummary: Content {
        var bytes: Int
        var crc32: UInt32
    }

    /// `POST /files`: reads the body piece by piece.
    @Sendable func upload(req: Request) async throws -> UploadSummary {
        var checksum = CRC32()
        var bytes = 0
        for try await piece in req.body {
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
