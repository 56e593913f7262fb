/// The path a framework routes on: the part of the request target below the
/// mount point, still percent-encoded as the client sent it.
///
/// Hummingbird and Vapor route on the encoded path their own servers read
/// from the request line, so the encoded bytes are taken from `REQUEST_URI`
/// whenever that decodes to exactly `SCRIPT_NAME` + `PATH_INFO`. When it does not (httpd normalised the path:
/// `..` segments, merged slashes), `PATH_INFO` is encoded again, so the
/// framework routes on what Apache matched.
enum RoutedPath {
    /// The path and query to hand the framework.
    ///
    /// - Parameters:
    ///   - target: `REQUEST_URI`: path and query, encoded, mount included.
    ///   - scriptName: `SCRIPT_NAME`, decoded.
    ///   - pathInfo: `PATH_INFO`, decoded.
    ///   - query: `QUERY_STRING`, encoded.
    /// - Returns: The path below the mount (`/` when empty), then `?` and
    ///   the query when there is one.
    static func pathAndQuery(target: String, scriptName: String, pathInfo: String, query: String) -> String {
        var path = encodedPath(target: target, scriptName: scriptName, pathInfo: pathInfo)
        if path.isEmpty {
            path = "/"
        }
        if !query.isEmpty {
            path += "?"
            path += query
        }
        return path
    }

    /// The encoded path below the mount.
    static func encodedPath(target: String, scriptName: String, pathInfo: String) -> String {
        var target = target
        let below = target.withUTF8 { bytes -> String? in
            let pathEnd = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
            let raw = UnsafeBufferPointer(rebasing: bytes[..<pathEnd])
            guard let split = suffixStart(of: raw, decodingTo: scriptName.utf8, then: pathInfo.utf8) else {
                return nil
            }
            return String(decoding: UnsafeBufferPointer(rebasing: raw[split...]), as: UTF8.self)
        }
        return below ?? percentEncoded(pathInfo)
    }

    /// Where the bytes after those that decode to `mount` start in `raw`,
    /// when all of `raw` decodes to `mount` followed by `rest`; else `nil`.
    private static func suffixStart(
        of raw: UnsafeBufferPointer<UInt8>,
        decodingTo mount: String.UTF8View,
        then rest: String.UTF8View
    ) -> Int? {
        var index = 0
        for want in mount {
            guard index < raw.count, decode(raw, at: &index) == want else { return nil }
        }
        let split = index
        for want in rest {
            guard index < raw.count, decode(raw, at: &index) == want else { return nil }
        }
        return index == raw.count ? split : nil
    }

    /// The byte at `index`, `%XX` decoded, moving `index` past it.
    private static func decode(_ raw: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt8 {
        let byte = raw[index]
        index += 1
        guard byte == UInt8(ascii: "%"), raw.count - index >= 2,
            let high = hexValue(raw[index]), let low = hexValue(raw[index + 1])
        else { return byte }
        index += 2
        return high << 4 | low
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `path` with every byte outside RFC 3986's `pchar` and `/` encoded.
    static func percentEncoded(_ path: String) -> String {
        if path.utf8.allSatisfy(isPathByte) {
            return path
        }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count * 3)
        for byte in path.utf8 {
            if isPathByte(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Unreserved, sub-delims, `:`, `@` and `/`.
    private static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
            UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
            UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"),
            UInt8(ascii: "@"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }
}

extension Request {
    /// The path and query a framework routes on: the part of the request
    /// target below the mount point, still percent-encoded as the client
    /// sent it (`/` when empty), then `?` and the query when there is one.
    ///
    /// An application mounted at `/app` sees `/todos?page=2` for
    /// `/app/todos?page=2`. When httpd normalised the path (`..` segments,
    /// merged slashes), `PATH_INFO` is encoded again, so the framework routes
    /// on what Apache matched. The framework adapters hand this to
    /// Hummingbird and Vapor.
    public var routedTarget: String {
        RoutedPath.pathAndQuery(target: target, scriptName: scriptName, pathInfo: pathInfo, query: query)
    }
}
