import SwiftGateHosting

/// A parsed HTTP/1.x request head: the request line and the header fields,
/// checked the way a careful server checks untrusted bytes.
struct HTTPRequestHead {
    /// How the request body is framed.
    enum BodyFraming: Equatable {
        case none
        case length(UInt64)
        case chunked
    }

    /// Why a head was refused, with the status to answer.
    struct Refusal: Error, CustomStringConvertible {
        let status: Int
        let description: String
    }

    var method: String
    /// The request target as sent (origin form).
    var target: [UInt8]
    /// `HTTP/1.0` or `HTTP/1.1`.
    var version: String
    var fields: [(name: String, value: [UInt8])]
    var framing: BodyFraming

    /// Whether the client is HTTP/1.1 (chunked responses, keep-alive by
    /// default).
    var isHTTP11: Bool { version == "HTTP/1.1" }

    /// Parses a head.
    ///
    /// - Parameter bytes: The head, up to and including its empty line.
    /// - Throws: A ``Refusal``: 400 for anything malformed (a
    ///   `Transfer-Encoding` other than exactly `chunked` among them), 505
    ///   for another HTTP version.
    init(parsing bytes: [UInt8]) throws(Refusal) {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? Array(line.dropLast()) : Array(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first else { throw Self.bad("empty request") }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, ResponseHead.isToken(parts[0]), !parts[1].isEmpty else {
            throw Self.bad("malformed request line")
        }
        method = String(decoding: parts[0], as: UTF8.self)
        target = Array(parts[1])
        version = String(decoding: parts[2], as: UTF8.self)
        guard version.hasPrefix("HTTP/") else { throw Self.bad("malformed request line") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            throw Refusal(status: 505, description: "HTTP version \(version) is not supported")
        }
        guard target.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { throw Self.bad("bytes not allowed in the target") }
        fields = []
        for line in lines.dropFirst() {
            guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
                throw Self.bad("folded or empty header line")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw Self.bad("header line without ':'") }
            let name = line[..<colon]
            guard ResponseHead.isToken(name) else { throw Self.bad("header name is not a token") }
            var value = line[(colon + 1)...]
            while let byte = value.first, byte == 0x20 || byte == 0x09 { value = value.dropFirst() }
            while let byte = value.last, byte == 0x20 || byte == 0x09 { value = value.dropLast() }
            guard ResponseHead.isValidValue(value) else { throw Self.bad("control byte in a header value") }
            fields.append((String(decoding: name, as: UTF8.self), Array(value)))
        }
        framing = .none
        framing = try bodyFraming()
        if isHTTP11 {
            let hosts = values("host")
            guard hosts.count == 1 else { throw Self.bad(hosts.isEmpty ? "no Host header" : "more than one Host") }
        }
    }

    /// The values of the fields called `name` (lower case).
    func values(_ name: String) -> [[UInt8]] {
        fields.filter { $0.name.lowercased() == name }.map(\.value)
    }

    /// The comma-separated elements of the fields called `name`, lower-cased.
    func tokens(_ name: String) -> [String] {
        values(name).flatMap { value in
            value.split(separator: UInt8(ascii: ",")).map { element in
                String(decoding: element, as: UTF8.self).trimmingSpaces.lowercased()
            }
        }
    }

    /// Whether the client asked for `100 Continue` before sending the body.
    var expectsContinue: Bool { isHTTP11 && tokens("expect").contains("100-continue") }

    /// Whether the client wants the connection kept after the response.
    var wantsKeepAlive: Bool {
        let connection = tokens("connection")
        return isHTTP11 ? !connection.contains("close") : false
    }

    /// The framing of the body, from `Transfer-Encoding` and
    /// `Content-Length`.
    ///
    /// The only transfer coding accepted is `chunked`, alone: one element
    /// in one field. An empty value, an empty list element, another coding
    /// (`gzip`, `gzip, chunked`), `chunked` twice, or `Transfer-Encoding`
    /// beside `Content-Length` or in an HTTP/1.0 request (which has no
    /// transfer codings, RFC 9112 section 6.1) is a 400 and the connection
    /// closes. A development server has no use for more, and where a proxy
    /// in front and this server could disagree on where a body ends, a
    /// request could be smuggled inside another.
    private func bodyFraming() throws(Refusal) -> BodyFraming {
        let encodings = values("transfer-encoding")
        let lengths = values("content-length")
        if !encodings.isEmpty {
            guard isHTTP11 else { throw Self.bad("Transfer-Encoding in an HTTP/1.0 request") }
            guard lengths.isEmpty else { throw Self.bad("both Transfer-Encoding and Content-Length") }
            let codings = encodings.flatMap { value in
                value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { element in
                    String(decoding: element, as: UTF8.self).trimmingSpaces.lowercased()
                }
            }
            guard codings == ["chunked"] else {
                let shown = encodings.map { String(decoding: $0.prefix(100), as: UTF8.self) }
                if shown.allSatisfy(\.isEmpty) { throw Self.bad("empty Transfer-Encoding") }
                throw Self.bad(
                    "Transfer-Encoding '\(shown.joined(separator: "', '"))': only 'chunked', alone, is accepted"
                )
            }
            return .chunked
        }
        guard let first = lengths.first else { return .none }
        guard lengths.allSatisfy({ $0 == first }), let length = ResponseHead.parseLength(first) else {
            throw Self.bad("invalid Content-Length")
        }
        return length == 0 ? .none : .length(length)
    }

    private static func bad(_ reason: String) -> Refusal {
        Refusal(status: 400, description: reason)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
