import CSwiftGate
import SwiftGateFastCGI
import Testing

@Suite struct FastCGICodecTests {
    @Test func headerRoundTrips() throws {
        let header = FastCGIRecordHeader(type: .stdout, requestID: 0x1234, contentLength: 0xfedc, paddingLength: 4)
        var bytes: [UInt8] = []
        header.encode(into: &bytes)
        #expect(bytes == [1, 6, 0x12, 0x34, 0xfe, 0xdc, 4, 0])
        #expect(try FastCGIRecordHeader(parsing: bytes) == header)
        #expect(header.bodyLength == 0xfedc + 4)
        #expect(!header.isManagement)
    }

    @Test func headerIgnoresBytesAfterTheFirstEight() throws {
        let header = try FastCGIRecordHeader(parsing: [1, 9, 0, 0, 0, 3, 0, 0, 0xff, 0xff])
        #expect(header.type == .getValues)
        #expect(header.isManagement)
        #expect(header.contentLength == 3)
    }

    @Test(arguments: [0, 2, 0x47, 255] as [UInt8])
    func headerRejectsOtherVersions(_ version: UInt8) {
        #expect(throws: FastCGIError.unsupportedVersion(version)) {
            try FastCGIRecordHeader(parsing: [version, 1, 0, 1, 0, 8, 0, 0])
        }
    }

    @Test func headerRejectsTruncatedInput() {
        let whole: [UInt8] = [1, 1, 0, 1, 0, 8, 0, 0]
        for count in 0..<FastCGIRecordHeader.size {
            #expect(throws: FastCGIError.truncated(needed: 8, available: count)) {
                try FastCGIRecordHeader(parsing: Array(whole.prefix(count)))
            }
        }
    }

    @Test func oneByteLengthsRoundTrip() throws {
        var bytes: [UInt8] = []
        FastCGINameValue.append(name: "REQUEST_METHOD", value: "GET", into: &bytes)
        FastCGINameValue.append(name: "EMPTY", value: "", into: &bytes)
        #expect(bytes.prefix(2) == [14, 3])
        let pairs = try FastCGINameValue.pairs(bytes)
        #expect(pairs.map { String(decoding: $0.name, as: UTF8.self) } == ["REQUEST_METHOD", "EMPTY"])
        #expect(pairs.map { String(decoding: $0.value, as: UTF8.self) } == ["GET", ""])
    }

    @Test func fourByteLengthsRoundTrip() throws {
        let name = [UInt8](repeating: 0x41, count: 200)
        let value = [UInt8](repeating: 0x62, count: 70_000)
        var bytes: [UInt8] = []
        FastCGINameValue.append(name: name, value: value, into: &bytes)
        #expect(bytes.prefix(8) == [0x80, 0, 0, 200, 0x80, 0x01, 0x11, 0x70])
        let pairs = try FastCGINameValue.pairs(bytes)
        #expect(pairs.count == 1)
        #expect(pairs[0].name == name)
        #expect(pairs[0].value == value)
    }

    @Test func lengthsSwitchEncodingAt128() {
        var short: [UInt8] = []
        FastCGINameValue.append(name: [UInt8](repeating: 1, count: 127), value: [], into: &short)
        #expect(short.prefix(2) == [127, 0])
        var long: [UInt8] = []
        FastCGINameValue.append(name: [UInt8](repeating: 1, count: 128), value: [], into: &long)
        #expect(long.prefix(5) == [0x80, 0, 0, 128, 0])
    }

    @Test func aFourByteLengthForASmallValueIsAccepted() throws {
        let bytes: [UInt8] = [0x80, 0, 0, 1, 0x80, 0, 0, 2, 0x61, 0x62, 0x63]
        let spans = try FastCGINameValue.decode(bytes)
        #expect(spans == [FastCGIPairSpan(name: 8..<9, value: 9..<11)])
    }

    @Test func truncatedLengthsAreRejected() {
        #expect(throws: FastCGIError.truncatedLength(offset: 0)) { try FastCGINameValue.decode([0x80, 0]) }
        #expect(throws: FastCGIError.truncatedLength(offset: 1)) { try FastCGINameValue.decode([5]) }
        #expect(throws: FastCGIError.truncatedLength(offset: 1)) { try FastCGINameValue.decode([5, 0x81, 0]) }
    }

    @Test func pairsPastTheEndAreRejected() {
        #expect(throws: FastCGIError.pairOverrunsData(offset: 0, length: 4)) {
            try FastCGINameValue.decode([3, 3, 0x61, 0x62])
        }
        // The largest lengths there are, with almost no data: no overflow.
        #expect(throws: FastCGIError.self) {
            try FastCGINameValue.decode([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61])
        }
        // A good pair, then a bad one: the offset names the bad one.
        #expect(throws: FastCGIError.pairOverrunsData(offset: 3, length: 9)) {
            try FastCGINameValue.decode([1, 0, 0x61, 5, 5, 0x62])
        }
    }

    @Test func emptyDataHasNoPairs() throws {
        #expect(try FastCGINameValue.decode([UInt8]()).isEmpty)
    }

    @Test func paramsStopAtTheLimit() throws {
        var params = FastCGIParamsBuffer(limit: 10)
        try params.append([UInt8](repeating: 0, count: 6))
        try params.append([UInt8](repeating: 0, count: 4))
        #expect(throws: FastCGIError.paramsTooLarge(limit: 10)) { try params.append([0]) }
        #expect(params.bytes.count == 10)
        #expect(FastCGIParamsBuffer().limit == 1 << 20)
    }

    @Test func pairsSplitAcrossParamsRecordsDecode() throws {
        var encoded: [UInt8] = []
        FastCGINameValue.append(name: "SCRIPT_NAME", value: "/app", into: &encoded)
        var params = FastCGIParamsBuffer()
        try params.append(Array(encoded[..<5]))
        try params.append(Array(encoded[5...]))
        let spans = try params.decode()
        #expect(spans.count == 1)
        #expect(String(decoding: params.bytes[spans[0].value], as: UTF8.self) == "/app")
    }

    @Test func longContentIsSplitIntoPaddedRecords() throws {
        let content = (0..<70_000).map { UInt8(truncatingIfNeeded: $0) }
        let bytes = FastCGIRecordEncoder.records(type: .stdout, requestID: 3, content: content)
        var offset = 0
        var collected: [UInt8] = []
        var lengths: [Int] = []
        while offset < bytes.count {
            let header = try FastCGIRecordHeader(parsing: Array(bytes[offset..<offset + 8]))
            #expect(header.type == .stdout && header.requestID == 3)
            #expect((8 + header.bodyLength) % 8 == 0)
            lengths.append(Int(header.contentLength))
            collected += bytes[offset + 8..<offset + 8 + Int(header.contentLength)]
            offset += 8 + header.bodyLength
        }
        #expect(lengths == [65_535, 4_465])
        #expect(collected == content)
    }

    @Test func emptyContentIsOneEmptyRecord() {
        #expect(FastCGIRecordEncoder.records(type: .stdout, requestID: 1) == [1, 6, 0, 1, 0, 0, 0, 0])
    }

    @Test func beginRequestParses() throws {
        let begin = try FastCGIBeginRequest(parsing: [0, 1, 1, 0, 0, 0, 0, 0])
        #expect(begin.role == FastCGIBeginRequest.responder)
        #expect(begin.keepConnection)
        #expect(FastCGIBeginRequest(role: 2, keepConnection: false).encoded == [0, 2, 0, 0, 0, 0, 0, 0])
        #expect(throws: FastCGIError.badBeginRequest(length: 3)) { try FastCGIBeginRequest(parsing: [0, 1, 0]) }
        #expect(throws: FastCGIError.badBeginRequest(length: 9)) {
            try FastCGIBeginRequest(parsing: [UInt8](repeating: 0, count: 9))
        }
    }

    @Test func endRequestBody() {
        #expect(
            FastCGIRecordEncoder.endRequestBody(appStatus: 0x0102_0304, protocolStatus: 3) == [1, 2, 3, 4, 3, 0, 0, 0]
        )
    }

    @Test func getValuesAnswersKnownNamesOnly() throws {
        var query: [UInt8] = []
        for name in ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS", "SOMETHING_ELSE"] {
            FastCGINameValue.append(name: name, value: "", into: &query)
        }
        let answer = try FastCGINameValue.pairs(FastCGIManagement.getValuesResult(query: query, threads: 12))
        let text = answer.map {
            "\(String(decoding: $0.name, as: UTF8.self))=\(String(decoding: $0.value, as: UTF8.self))"
        }
        #expect(text == ["FCGI_MAX_CONNS=12", "FCGI_MAX_REQS=12", "FCGI_MPXS_CONNS=0"])
        #expect(throws: FastCGIError.self) { try FastCGIManagement.getValuesResult(query: [9], threads: 1) }
    }

    @Test func unknownManagementTypesGetUnknownType() throws {
        let header = FastCGIRecordHeader(type: FastCGIRecordType(rawValue: 42), requestID: 0, contentLength: 0)
        let reply = try FastCGIManagement.reply(to: header, content: [], threads: 1)
        #expect(reply == [1, 11, 0, 0, 0, 8, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0])
    }

    /// Random bytes through every parser: each either parses or throws.
    @Test func randomBytesNeverCrashTheParsers() {
        var generator = SplitMix64(seed: 0x5357_4946_5447_4154)
        var parsed = 0
        for round in 0..<20_000 {
            let count = Int(generator.next() % 64)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 2 == 0, !bytes.isEmpty { bytes[0] = 1 }
            if (try? FastCGIRecordHeader(parsing: bytes)) != nil { parsed += 1 }
            if let spans = try? FastCGINameValue.decode(bytes) {
                for span in spans {
                    #expect(span.value.upperBound <= bytes.count)
                    #expect(span.name.upperBound == span.value.lowerBound)
                }
            }
            _ = try? FastCGIBeginRequest(parsing: bytes)
            _ = try? FastCGIManagement.getValuesResult(query: bytes, threads: 2)
        }
        #expect(parsed > 0)
    }
}

/// A small deterministic generator for the random-input test.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
