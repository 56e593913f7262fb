// libFuzzer target for the FastCGI codec (Sources/SwiftGateFastCGI: record
// headers, name-value pairs, BEGIN_REQUEST, the PARAMS buffer, management
// records, the record encoder and the request description), which takes
// bytes from whoever reaches the daemon's socket.
//
// The input is used three ways: as name-value data, decoded and compared
// with a decoder written here from the FastCGI 1.0 spec, re-encoded and
// decoded again, and turned into a request description; as the records of
// a connection, each header checked against its bytes and each record
// handled as the connection server would; and as content the encoder cuts
// into records, which must read back as the same bytes.

import CSwiftGate
import Glibc
import SwiftGateFastCGI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkNameValues(bytes)
    checkParamsBuffer(bytes)
    checkRecords(bytes)
    checkEncoder(bytes)
    return 0
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("check failed: \(message())\n", stderr)
        abort()
    }
}

// MARK: - Name-value pairs

/// FastCGI 1.0, 3.4, read here on its own: a length is one byte with the
/// top bit clear or four big-endian bytes with it set (31 bits); a pair is
/// two lengths, then the name and value bytes. Errors as the daemon's
/// decoder documents them.
func referenceDecode(_ bytes: [UInt8]) -> Result<[FastCGIPairSpan], FastCGIError> {
    var spans: [FastCGIPairSpan] = []
    var at = 0
    func length() -> Int? {
        guard at < bytes.count else { return nil }
        if bytes[at] & 0x80 == 0 {
            at += 1
            return Int(bytes[at - 1])
        }
        guard at + 4 <= bytes.count else { return nil }
        var value = Int(bytes[at] & 0x7f)
        for index in at + 1..<at + 4 { value = value * 256 + Int(bytes[index]) }
        at += 4
        return value
    }
    while at < bytes.count {
        let start = at
        guard let nameLength = length() else { return .failure(.truncatedLength(offset: at)) }
        guard let valueLength = length() else { return .failure(.truncatedLength(offset: at)) }
        let left = bytes.count - at
        if nameLength + valueLength > left {
            return .failure(.pairOverrunsData(offset: start, length: nameLength + valueLength - left))
        }
        spans.append(
            FastCGIPairSpan(name: at..<at + nameLength, value: at + nameLength..<at + nameLength + valueLength)
        )
        at += nameLength + valueLength
    }
    return .success(spans)
}

func decoded(_ bytes: [UInt8]) -> Result<[FastCGIPairSpan], FastCGIError> {
    Result { () throws(FastCGIError) in try FastCGINameValue.decode(bytes) }
}

func checkNameValues(_ bytes: [UInt8]) {
    let result = decoded(bytes)
    require(result == referenceDecode(bytes), "decode disagrees with the spec: \(result)")
    let raw: Result<[FastCGIPairSpan], FastCGIError> = bytes.withUnsafeBytes { raw in
        Result { () throws(FastCGIError) in try FastCGINameValue.decode(raw) }
    }
    require(raw == result, "the two decode entry points disagree")
    guard case .success(let spans) = result else { return }

    // The spans tile the input, in order.
    var end = 0
    for span in spans {
        require(span.name.lowerBound >= end && span.name.upperBound == span.value.lowerBound, "spans out of order")
        require(span.value.upperBound <= bytes.count, "a span past the end")
        end = span.value.upperBound
    }
    require(end == bytes.count, "bytes left over after the last pair")

    // Re-encoded, the pairs read back the same, in at most as many bytes.
    let pairs = spans.map { (name: Array(bytes[$0.name]), value: Array(bytes[$0.value])) }
    var encoded: [UInt8] = []
    for pair in pairs { FastCGINameValue.append(name: pair.name, value: pair.value, into: &encoded) }
    require(encoded.count <= bytes.count, "re-encoding grew the pairs")
    let again = try? FastCGINameValue.pairs(encoded)
    require(again?.count == pairs.count, "re-encoded pairs do not decode")
    for (left, right) in zip(pairs, again ?? []) {
        require(left.name == right.name && left.value == right.value, "a pair changed on re-encoding")
    }

    checkDescription(params: bytes, spans: spans)
}

// MARK: - PARAMS collection

func checkParamsBuffer(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    let limit = Int(first) * 8
    var buffer = FastCGIParamsBuffer(limit: limit)
    var collected: [UInt8] = []
    var offset = 1
    var chunk = 1
    while offset < bytes.count {
        let piece = Array(bytes[offset..<min(bytes.count, offset + chunk)])
        let fits = collected.count + piece.count <= limit
        do {
            try buffer.append(piece)
            require(fits, "PARAMS past the limit accepted")
            collected += piece
        } catch {
            require(!fits && error == .paramsTooLarge(limit: limit), "PARAMS within the limit refused: \(error)")
        }
        require(buffer.bytes == collected, "the buffer holds other bytes than were appended")
        offset += piece.count
        chunk = chunk * 3 % 61 + 1
    }
    let result = Result { () throws(FastCGIError) in try buffer.decode() }
    require(result == referenceDecode(collected), "the buffer decodes differently")
}

// MARK: - The request description

/// `X_FOO_BAR` → `X-Foo-Bar`, as CGI turns header names into variables
/// and back.
func referenceFieldName(_ cgi: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    var wordStart = true
    for byte in cgi {
        switch byte {
        case UInt8(ascii: "_"):
            out.append(UInt8(ascii: "-"))
            wordStart = true
            continue
        case UInt8(ascii: "a")...UInt8(ascii: "z") where wordStart:
            out.append(byte - 0x20)
        case UInt8(ascii: "A")...UInt8(ascii: "Z") where !wordStart:
            out.append(byte + 0x20)
        default:
            out.append(byte)
        }
        wordStart = false
    }
    return out
}

func checkDescription(params: [UInt8], spans: [FastCGIPairSpan]) {
    var description = RequestDescription(params: params, spans: spans)
    let storage = description.storage
    require(description.environ.count == spans.count, "the environ lost or gained pairs")
    var expectedHeaders: [(name: [UInt8], value: [UInt8])] = []
    for (pair, span) in zip(description.environ, spans) {
        let name = params[span.name]
        let value = Array(params[span.value])
        require(storage[pair.name].elementsEqual(name), "an environ name changed")
        require(storage[pair.value].elementsEqual(value), "an environ value changed")
        require(storage[pair.name.upperBound] == 0 && storage[pair.value.upperBound] == 0, "a missing NUL")
        if name.count > 5, name.starts(with: Array("HTTP_".utf8)) {
            expectedHeaders.append((referenceFieldName(name.dropFirst(5)), value))
        } else if name.elementsEqual("CONTENT_TYPE".utf8), !value.isEmpty {
            expectedHeaders.append((Array("Content-Type".utf8), value))
        } else if name.elementsEqual("CONTENT_LENGTH".utf8), !value.isEmpty {
            expectedHeaders.append((Array("Content-Length".utf8), value))
        }
    }
    require(description.headers.count == expectedHeaders.count, "header fields lost or gained")
    for (header, expected) in zip(description.headers, expectedHeaders) {
        require(storage[header.name].elementsEqual(expected.name), "a header name is not rebuilt as CGI says")
        require(storage[header.value].elementsEqual(expected.value), "a header value changed")
        require(storage[header.name.upperBound] == 0, "a header name without NUL")
    }

    // The pairs handed to an application point at the same bytes.
    description.withPairs { environ, headers in
        require(environ.count == description.environ.count && headers.count == description.headers.count, "pairs")
        for (pair, span) in zip(environ, description.environ) {
            let name = UnsafeRawBufferPointer(start: pair.name, count: Int(pair.name_len))
            let value = UnsafeRawBufferPointer(start: pair.value, count: Int(pair.value_len))
            require(name.elementsEqual(storage[span.name]) && value.elementsEqual(storage[span.value]), "pair bytes")
            require(pair.name[Int(pair.name_len)] == 0 && pair.value[Int(pair.value_len)] == 0, "pair NUL")
        }
    }

    // Lookups find the last pair of a name.
    if let span = spans.first, let name = String(validating: params[span.name], as: UTF8.self) {
        let last = spans.last { params[$0.name].elementsEqual(params[span.name]) }!
        require(description.bytes(name) == Array(params[last.value]), "a lookup did not find the last pair")
        description.remove(name)
        require(description.bytes(name) == nil, "a removed variable is still there")
        require(
            description.headers.allSatisfy { header in description.environ.contains { $0.value == header.value } },
            "a header field outlived its variable"
        )
    }
    description.addGatewayKeys(processGroup: "group", callable: "app", applicationGroup: "", threads: 4)
    require(description.value(RequestDescription.Key.processGroup) == "group", "process group")
    require(description.value(RequestDescription.Key.callable) == "app", "callable")
    require(description.value(RequestDescription.Key.applicationGroup) == "", "application group")
    require(description.value(RequestDescription.Key.urlScheme) != nil, "URL scheme")
}

// MARK: - Records

func checkRecords(_ bytes: [UInt8]) {
    var params = FastCGIParamsBuffer()
    var offset = 0
    while true {
        let left = bytes.count - offset
        let head = Array(bytes[offset..<offset + min(left, FastCGIRecordHeader.size)])
        let header: FastCGIRecordHeader
        do {
            header = try FastCGIRecordHeader(parsing: head)
        } catch {
            if left < FastCGIRecordHeader.size {
                require(error == .truncated(needed: FastCGIRecordHeader.size, available: left), "\(error)")
            } else {
                require(head[0] != 1 && error == .unsupportedVersion(head[0]), "\(error)")
            }
            return
        }
        require(left >= FastCGIRecordHeader.size && head[0] == 1, "a short or foreign header parsed")
        require(header.type.rawValue == head[1], "type")
        require(header.requestID == UInt16(head[2]) << 8 | UInt16(head[3]), "request id")
        require(header.contentLength == UInt16(head[4]) << 8 | UInt16(head[5]), "content length")
        require(header.paddingLength == head[6], "padding length")
        require(header.isManagement == (header.requestID == 0), "management")
        var encoded: [UInt8] = []
        header.encode(into: &encoded)
        require(encoded[..<7] == head[..<7] && encoded[7] == 0, "a header re-encodes differently")

        let total = FastCGIRecordHeader.size + header.bodyLength
        guard left >= total else { return }
        let contentStart = offset + FastCGIRecordHeader.size
        let content = Array(bytes[contentStart..<contentStart + Int(header.contentLength)])
        handle(header, content, &params)
        offset += total
    }
}

/// What the connection server does with a record, without the socket.
func handle(_ header: FastCGIRecordHeader, _ content: [UInt8], _ params: inout FastCGIParamsBuffer) {
    if header.isManagement {
        checkManagement(header, content)
        return
    }
    switch header.type {
    case .beginRequest:
        let begin = try? FastCGIBeginRequest(parsing: content)
        require((begin != nil) == (content.count == 8), "BEGIN_REQUEST of \(content.count) bytes")
        guard let begin else { return }
        require(begin.role == UInt16(content[0]) << 8 | UInt16(content[1]) && begin.flags == content[2], "role")
        require(begin.keepConnection == (content[2] & 1 != 0), "keep-conn flag")
        require(begin.encoded[..<3] == content[..<3], "BEGIN_REQUEST re-encodes differently")
        require((try? FastCGIBeginRequest(parsing: begin.encoded)) == begin, "BEGIN_REQUEST round trip")
    case .params where content.isEmpty:
        if case .success(let spans) = Result(catching: { () throws(FastCGIError) in try params.decode() }) {
            checkDescription(params: params.bytes, spans: spans)
        }
        params = FastCGIParamsBuffer()
    case .params:
        try? params.append(content)
    default:
        break
    }
}

/// Splits encoded records, checking the encoder's framing.
func readRecords(_ bytes: [UInt8]) -> [(FastCGIRecordHeader, [UInt8])] {
    var records: [(FastCGIRecordHeader, [UInt8])] = []
    var offset = 0
    while offset < bytes.count {
        guard let header = try? FastCGIRecordHeader(parsing: Array(bytes[offset...])) else {
            require(false, "the encoder wrote a bad header")
            return records
        }
        let start = offset + FastCGIRecordHeader.size
        let length = Int(header.contentLength)
        require(bytes.count - start >= header.bodyLength, "the encoder wrote a short record")
        require(Int(header.paddingLength) == (8 - length % 8) % 8, "padding is not to a multiple of eight")
        require(bytes[start + length..<start + header.bodyLength].allSatisfy { $0 == 0 }, "padding not zero")
        records.append((header, Array(bytes[start..<start + length])))
        offset = start + header.bodyLength
    }
    return records
}

func checkManagement(_ header: FastCGIRecordHeader, _ content: [UInt8]) {
    let threads = UInt32(content.count % 7 + 1)
    let reply = Result { () throws(FastCGIError) in
        try FastCGIManagement.reply(to: header, content: content, threads: threads)
    }
    guard header.type == .getValues else {
        let records = readRecords((try? reply.get()) ?? [])
        require(records.count == 1 && records[0].0.type == .unknownType, "no UNKNOWN_TYPE answer")
        require(records[0].1 == [header.type.rawValue, 0, 0, 0, 0, 0, 0, 0], "UNKNOWN_TYPE body")
        return
    }
    let query = referenceDecode(content)
    switch (reply, query) {
    case (.failure(let error), .failure(let expected)):
        require(error == expected, "GET_VALUES fails otherwise than its query: \(error)")
    case (.success(let bytes), .success(let spans)):
        let records = readRecords(bytes)
        require(records.allSatisfy { $0.0.type == .getValuesResult && $0.0.requestID == 0 }, "GET_VALUES_RESULT")
        let answer = records.flatMap(\.1)
        let known = [FastCGIManagement.maxConns, FastCGIManagement.maxReqs, FastCGIManagement.mpxsConns]
        let asked = spans.map { String(decoding: content[$0.name], as: UTF8.self) }.filter(known.contains)
        let pairs = (try? FastCGINameValue.pairs(answer)) ?? []
        require(pairs.map { String(decoding: $0.name, as: UTF8.self) } == asked, "answers not as asked")
        for pair in pairs {
            let name = String(decoding: pair.name, as: UTF8.self)
            let value = String(decoding: pair.value, as: UTF8.self)
            require(value == (name == FastCGIManagement.mpxsConns ? "0" : String(threads)), "\(name)=\(value)")
        }
    default:
        require(false, "GET_VALUES answered \(reply) for a query that decodes as \(query)")
    }
}

// MARK: - Encoding

func checkEncoder(_ bytes: [UInt8]) {
    // Now and then content over one record's worth, to cut it in several.
    let content = bytes.first == 0xfe ? Array(repeating: bytes, count: 70_000 / bytes.count + 1).flatMap { $0 } : bytes
    let requestID = UInt16(truncatingIfNeeded: bytes.count * 40_503)
    let records = readRecords(FastCGIRecordEncoder.records(type: .stdout, requestID: requestID, content: content))
    let maximum = FastCGIRecordHeader.maxContentLength
    require(records.count == max(1, (content.count + maximum - 1) / maximum), "\(records.count) records")
    require(records.allSatisfy { $0.0.type == .stdout && $0.0.requestID == requestID }, "type or request id")
    require(records.flatMap(\.1) == content, "the records do not carry the content")

    if bytes.count >= 5 {
        let status = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
        let body = FastCGIRecordEncoder.endRequestBody(appStatus: status, protocolStatus: bytes[4])
        require(body == Array(bytes[..<5]) + [0, 0, 0], "END_REQUEST body")
    }
}
