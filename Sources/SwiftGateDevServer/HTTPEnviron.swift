import SwiftGateFastCGI

/// Builds the CGI/1.1 environ of a development-server request, the same
/// variables Apache computes for an application mounted at `/`.
///
/// Header fields become `HTTP_*` variables (several fields of one name are
/// joined with ", "); names holding anything but letters, digits and `-`
/// are dropped, as httpd drops them, so `X_Forwarded_For` cannot pass for
/// `X-Forwarded-For`. `Proxy-Authorization` is never shown; `Authorization`
/// is (there is no front-end to answer it).
struct HTTPEnviron {
    /// Where the connection came from and arrived.
    struct Endpoints {
        var serverAddress: String
        var serverPort: UInt16
        var remoteAddress: String
        var remotePort: UInt16
    }

    /// Why a target was refused, with the status to answer.
    typealias Refusal = HTTPRequestHead.Refusal

    private var storage: [UInt8] = []
    private var spans: [FastCGIPairSpan] = []

    /// The request description for `head`.
    ///
    /// - Parameters:
    ///   - head: The parsed request head.
    ///   - endpoints: The connection's addresses.
    ///   - library: The application library (`SCRIPT_FILENAME`).
    /// - Returns: The description, without the `swiftgate.*` keys.
    /// - Throws: A ``Refusal`` for a target that is not a path (400), or
    ///   whose path holds an encoded NUL or slash, or climbs above `/`.
    static func description(
        for head: HTTPRequestHead,
        endpoints: Endpoints,
        library: String
    ) throws(Refusal) -> RequestDescription {
        var environ = HTTPEnviron()
        let target = head.target
        guard target.first == UInt8(ascii: "/") else {
            throw Refusal(status: 400, description: "the target is not a path")
        }
        let question = target.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = target[..<(question ?? target.endIndex)]
        let query = question.map { target[($0 + 1)...] } ?? []
        let path = try normalized(try percentDecoded(rawPath))
        let hostHeader = head.values("host").first.map { String(decoding: $0, as: UTF8.self) }
        let (serverName, serverPort) = split(host: hostHeader, default: endpoints)

        environ.add("REQUEST_METHOD", head.method)
        environ.add("REQUEST_URI", target)
        environ.add("SCRIPT_NAME", "")
        environ.add("PATH_INFO", path)
        environ.add("QUERY_STRING", Array(query))
        environ.add("SERVER_PROTOCOL", head.version)
        environ.add("SERVER_NAME", serverName)
        environ.add("SERVER_PORT", serverPort)
        environ.add("SERVER_ADDR", endpoints.serverAddress)
        environ.add("SERVER_SOFTWARE", "swiftgate-dev-server")
        environ.add("REMOTE_ADDR", endpoints.remoteAddress)
        environ.add("REMOTE_PORT", String(endpoints.remotePort))
        environ.add("GATEWAY_INTERFACE", "CGI/1.1")
        environ.add("REQUEST_SCHEME", "http")
        environ.add("SCRIPT_FILENAME", library)
        var seen: [String: Int] = [:]
        var order: [(name: String, value: [UInt8])] = []
        for field in head.fields {
            let lowered = field.name.lowercased()
            guard lowered != "proxy-authorization", isPlainName(field.name) else { continue }
            let name: String
            switch lowered {
            case "content-type": name = "CONTENT_TYPE"
            case "content-length": name = "CONTENT_LENGTH"
            default: name = "HTTP_" + field.name.uppercased().replacingHyphens
            }
            if let index = seen[name] {
                order[index].value += Array(", ".utf8) + field.value
            } else {
                seen[name] = order.count
                order.append((name, field.value))
            }
        }
        for (name, value) in order { environ.add(name, value) }
        return RequestDescription(params: environ.storage, spans: environ.spans)
    }

    private mutating func add(_ name: String, _ value: String) {
        add(name, Array(value.utf8))
    }

    private mutating func add(_ name: String, _ value: some Collection<UInt8>) {
        let nameStart = storage.count
        storage.append(contentsOf: name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: value)
        spans.append(FastCGIPairSpan(name: nameStart..<valueStart, value: valueStart..<storage.count))
    }

    private static func isPlainName(_ name: String) -> Bool {
        name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
        }
    }

    /// `%XX` decoded; an encoded NUL or `/` is refused (httpd answers 404
    /// for an encoded slash by default).
    private static func percentDecoded(_ path: ArraySlice<UInt8>) throws(Refusal) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        var index = path.startIndex
        while index < path.endIndex {
            let byte = path[index]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 2 < path.endIndex, let high = hex(path[index + 1]), let low = hex(path[index + 2]) else {
                throw Refusal(status: 400, description: "bad percent escape in the path")
            }
            let decoded = high << 4 | low
            if decoded == 0 { throw Refusal(status: 400, description: "encoded NUL in the path") }
            if decoded == UInt8(ascii: "/") { throw Refusal(status: 404, description: "encoded slash in the path") }
            out.append(decoded)
            index += 3
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `.` and `..` segments resolved, as httpd does before mapping a URL.
    private static func normalized(_ path: [UInt8]) throws(Refusal) -> [UInt8] {
        let segments = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        var kept: [ArraySlice<UInt8>] = []
        for segment in segments {
            if segment.elementsEqual(".".utf8) { continue }
            if segment.elementsEqual("..".utf8) {
                guard !kept.isEmpty else { throw Refusal(status: 400, description: "the path climbs above /") }
                kept.removeLast()
                continue
            }
            kept.append(segment)
        }
        var out: [UInt8] = []
        for segment in kept {
            out.append(UInt8(ascii: "/"))
            out.append(contentsOf: segment)
        }
        let trailing = path.last == UInt8(ascii: "/") || segments.last.map { $0.elementsEqual(".".utf8) } == true
        if out.isEmpty || (trailing && out.last != UInt8(ascii: "/")) { out.append(UInt8(ascii: "/")) }
        return out
    }

    /// The server name and port from the Host field, as httpd does with
    /// `UseCanonicalName Off`.
    private static func split(host: String?, default endpoints: Endpoints) -> (String, String) {
        guard let host, !host.isEmpty else { return (endpoints.serverAddress, String(endpoints.serverPort)) }
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let name = String(host[...close])
            let rest = host[host.index(after: close)...]
            return (name, rest.hasPrefix(":") ? String(rest.dropFirst()) : String(endpoints.serverPort))
        }
        if let colon = host.lastIndex(of: ":") {
            return (String(host[..<colon]), String(host[host.index(after: colon)...]))
        }
        return (host, String(endpoints.serverPort))
    }
}

extension String {
    /// `-` replaced by `_`.
    fileprivate var replacingHyphens: String {
        String(decoding: utf8.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }
}
