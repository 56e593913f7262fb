import CSwiftGate

/// A response head checked and rendered as CGI-style FastCGI output:
/// `Status: 200 OK`, the fields, an empty line.
///
/// The checks are the C module's: a status from 200 to 599, field names that
/// are RFC 9110 tokens, values without control bytes other than HTAB and
/// without DEL, a Content-Length of digits. Hop-by-hop fields and `Status`
/// (which the front-end would read as the status line) are dropped.
package struct ResponseHead {
    /// The head's bytes.
    package var bytes: [UInt8]
    /// The declared Content-Length, if any.
    package var contentLength: UInt64?
    /// Names of fields that were dropped, for a warning.
    package var dropped: [String]

    /// Why a head was refused.
    package enum Refusal: Error, Equatable, CustomStringConvertible {
        case status(Int32)
        case name(String)
        case value(name: String)
        case contentLength(String)

        package var description: String {
            switch self {
            case .status(let status): "status \(status) is outside 200-599"
            case .name(let name): "field name '\(name)' is not a token"
            case .value(let name): "value of field '\(name)' holds a control byte"
            case .contentLength(let value): "invalid Content-Length '\(value)'"
            }
        }
    }

    /// Fields the application may not set: hop-by-hop ones are the
    /// front-end's business, `Status` would be read as the status, and the
    /// error field would make mod_swiftgate answer with an error page.
    /// Lower case; names are compared without regard to case.
    static let droppedFields: [[UInt8]] = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "status",
        SWIFTGATE_ERROR_FIELD.lowercased(),
    ].map { Array($0.utf8) }

    /// Checks and renders a head.
    ///
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - fields: Name and value bytes of each field.
    /// - Throws: A ``Refusal`` naming the first bad part.
    package init(status: Int32, fields: [(name: [UInt8], value: [UInt8])]) throws(Refusal) {
        try self.init(status: status, fields: fields.lazy.map { ($0.name, $0.value) })
    }

    /// Checks and renders a head from fields of any byte collections (the
    /// ABI's pairs are read in place, nothing copied but the head's bytes).
    private init<Name: Collection<UInt8>, Value: Collection<UInt8>>(
        status: Int32,
        fields: some Collection<(Name, Value)>
    ) throws(Refusal) {
        guard (200...599).contains(status) else { throw .status(status) }
        bytes = []
        bytes.reserveCapacity(40 + 64 * fields.count)
        Self.appendStatusLine(Int(status), to: &bytes)
        contentLength = nil
        dropped = []
        for (name, value) in fields {
            guard Self.isToken(name) else { throw .name(String(decoding: name, as: UTF8.self)) }
            guard Self.isValidValue(value) else { throw .value(name: String(decoding: name, as: UTF8.self)) }
            if Self.droppedFields.contains(where: { Self.equalIgnoringCase(name, $0) }) {
                dropped.append(String(decoding: name, as: UTF8.self))
                continue
            }
            if Self.equalIgnoringCase(name, Self.contentLengthName) {
                guard let length = Self.parseLength(value) else {
                    throw .contentLength(String(decoding: value, as: UTF8.self))
                }
                contentLength = length
            }
            bytes.append(contentsOf: name)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: value)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
    }

    private static let contentLengthName = Array("content-length".utf8)

    /// Whether `name` is `lower` (lower case ASCII) in any case.
    private static func equalIgnoringCase(_ name: some Collection<UInt8>, _ lower: [UInt8]) -> Bool {
        guard name.count == lower.count else { return false }
        for (byte, wanted) in zip(name, lower) {
            let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            guard (isUpper ? byte + 32 : byte) == wanted else { return false }
        }
        return true
    }

    /// Checks and renders the head an application passed to `send_head`,
    /// reporting a refusal and every dropped field.
    ///
    /// Both hosts answer `send_head` this way: the daemon and the
    /// development server differ only in where the head's bytes go.
    ///
    /// - Parameters:
    ///   - status: The HTTP status the application sent.
    ///   - fields: The application's fields, as the ABI passes them.
    ///   - log: Takes a `SWIFTGATE_LOG_*` level and a message: an error for
    ///     a refused head, a warning for each dropped field.
    /// - Returns: The head, or `nil` if it was refused; the callback then
    ///   returns `SWIFTGATE_ERR_HEADER`.
    package static func sent(
        status: Int32,
        fields: UnsafeBufferPointer<swiftgate_pair>,
        log: (Int32, String) -> Void
    ) -> ResponseHead? {
        let head: ResponseHead
        do {
            head = try ResponseHead(
                status: status,
                fields: fields.lazy.map { pair in
                    (
                        UnsafeRawBufferPointer(start: pair.name, count: pair.name == nil ? 0 : Int(pair.name_len)),
                        UnsafeRawBufferPointer(start: pair.value, count: pair.value == nil ? 0 : Int(pair.value_len))
                    )
                }
            )
        } catch {
            log(SWIFTGATE_LOG_ERR, "response head refused: \(error)")
            return nil
        }
        for name in head.dropped {
            log(SWIFTGATE_LOG_WARNING, "dropped response field '\(name)' set by the application")
        }
        return head
    }

    /// `Status: NNN Reason\r\n` (just the number for an uncommon status).
    package static func statusLine(_ status: Int) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(40)
        appendStatusLine(status, to: &line)
        return line
    }

    /// Appends ``statusLine(_:)`` to `bytes`, without building a string.
    static func appendStatusLine(_ status: Int, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: "Status: ".utf8)
        if (100...999).contains(status) {
            bytes.append(UInt8(ascii: "0") + UInt8(status / 100))
            bytes.append(UInt8(ascii: "0") + UInt8(status / 10 % 10))
            bytes.append(UInt8(ascii: "0") + UInt8(status % 10))
        } else {
            bytes.append(contentsOf: String(status).utf8)
        }
        if let reason = reason(status) {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: reason.utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
    }

    /// The daemon's own response for a failure: a plain-text reason and
    /// the error field that tells mod_swiftgate to use Apache's error page.
    ///
    /// - Parameters:
    ///   - status: The HTTP status (400-599).
    ///   - headOnly: Whether to leave the body out (HEAD).
    /// - Returns: The whole response as STDOUT content.
    package static func errorResponse(status: Int, headOnly: Bool) -> [UInt8] {
        let reason = reason(status) ?? "Error"
        var text = "Status: \(status) \(reason)\r\nContent-Type: text/plain; charset=utf-8\r\n"
        text += "\(SWIFTGATE_ERROR_FIELD): \(status)\r\n\r\n"
        if !headOnly { text += "\(reason)\n" }
        return Array(text.utf8)
    }

    /// An RFC 9110 token: one or more tchar.
    package static func isToken(_ name: some Collection<UInt8>) -> Bool {
        !name.isEmpty && name.allSatisfy(isTokenByte)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// A field value: no byte below 0x20 but HTAB, and no DEL.
    package static func isValidValue(_ value: some Collection<UInt8>) -> Bool {
        value.allSatisfy { ($0 >= 0x20 || $0 == 0x09) && $0 != 0x7f }
    }

    /// Digits only, fitting in 63 bits.
    package static func parseLength(_ value: some Collection<UInt8>) -> UInt64? {
        guard !value.isEmpty, value.count <= 18 else { return nil }
        var length: UInt64 = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            length = length * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return length
    }

    /// The reason phrase of a common status.
    package static func reason(_ status: Int) -> String? {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 416: "Range Not Satisfiable"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: nil
        }
    }
}
