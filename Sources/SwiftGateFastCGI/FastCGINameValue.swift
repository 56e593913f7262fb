/// Where one name-value pair lies in a buffer of FastCGI name-value data.
package struct FastCGIPairSpan: Equatable, Sendable {
    /// The name's bytes in the buffer.
    package var name: Range<Int>
    /// The value's bytes in the buffer.
    package var value: Range<Int>

    /// Makes a span.
    ///
    /// - Parameters:
    ///   - name: The name's range.
    ///   - value: The value's range.
    package init(name: Range<Int>, value: Range<Int>) {
        self.name = name
        self.value = value
    }
}

/// FastCGI name-value pairs (PARAMS, GET_VALUES): each pair is a name
/// length, a value length, the name, the value; a length is one byte when
/// below 128, else four bytes, big-endian, with the top bit set.
package enum FastCGINameValue {
    /// The largest length the four-byte encoding holds.
    package static let maxLength = 0x7fff_ffff

    /// Finds every pair in `bytes` without copying.
    ///
    /// - Parameter bytes: Concatenated name-value pairs.
    /// - Returns: The pairs' spans, in order.
    /// - Throws: ``FastCGIError/truncatedLength(offset:)`` when a length field
    ///   is cut, ``FastCGIError/pairOverrunsData(offset:length:)`` when a name
    ///   or value runs past the end.
    package static func decode(_ bytes: UnsafeRawBufferPointer) throws(FastCGIError) -> [FastCGIPairSpan] {
        var spans: [FastCGIPairSpan] = []
        // A request's PARAMS are some forty pairs of about twenty to forty
        // bytes: room for them up front, not a copy at each doubling.
        spans.reserveCapacity(bytes.count / 16 + 1)
        var offset = 0
        while offset < bytes.count {
            let start = offset
            let nameLength = try readLength(bytes, &offset)
            let valueLength = try readLength(bytes, &offset)
            // Both lengths are below 2^31, so the sum cannot overflow Int.
            let remaining = bytes.count - offset
            guard nameLength + valueLength <= remaining else {
                throw .pairOverrunsData(offset: start, length: nameLength + valueLength - remaining)
            }
            let name = offset..<offset + nameLength
            let value = name.upperBound..<name.upperBound + valueLength
            spans.append(FastCGIPairSpan(name: name, value: value))
            offset = value.upperBound
        }
        return spans
    }

    /// Finds every pair in an array.
    ///
    /// - Parameter bytes: Concatenated name-value pairs.
    /// - Returns: The pairs' spans, in order.
    /// - Throws: As ``decode(_:)-(UnsafeRawBufferPointer)``.
    package static func decode(_ bytes: [UInt8]) throws(FastCGIError) -> [FastCGIPairSpan] {
        let result: Result<[FastCGIPairSpan], FastCGIError> = bytes.withUnsafeBytes { raw in
            Result { () throws(FastCGIError) in try decode(raw) }
        }
        return try result.get()
    }

    /// Decodes every pair in `bytes` into copies.
    ///
    /// - Parameter bytes: Concatenated name-value pairs.
    /// - Returns: The names and values, in order.
    /// - Throws: As ``decode(_:)-(UnsafeRawBufferPointer)``.
    package static func pairs(_ bytes: [UInt8]) throws(FastCGIError) -> [(name: [UInt8], value: [UInt8])] {
        try decode(bytes).map { (Array(bytes[$0.name]), Array(bytes[$0.value])) }
    }

    private static func readLength(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) throws(FastCGIError) -> Int {
        guard offset < bytes.count else { throw .truncatedLength(offset: offset) }
        let first = bytes[offset]
        if first < 0x80 {
            offset += 1
            return Int(first)
        }
        guard bytes.count - offset >= 4 else { throw .truncatedLength(offset: offset) }
        let length =
            Int(first & 0x7f) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
            | Int(bytes[offset + 3])
        offset += 4
        return length
    }

    /// Appends one pair to `out`, with one-byte lengths below 128 and
    /// four-byte lengths from 128 on.
    ///
    /// - Parameters:
    ///   - name: The name's bytes (at most ``maxLength``).
    ///   - value: The value's bytes (at most ``maxLength``).
    ///   - out: The buffer to append to.
    package static func append(
        name: some Collection<UInt8>,
        value: some Collection<UInt8>,
        into out: inout [UInt8]
    ) {
        appendLength(name.count, into: &out)
        appendLength(value.count, into: &out)
        out.append(contentsOf: name)
        out.append(contentsOf: value)
    }

    /// Appends one pair of strings to `out` as UTF-8.
    ///
    /// - Parameters:
    ///   - name: The name.
    ///   - value: The value.
    ///   - out: The buffer to append to.
    package static func append(name: String, value: String, into out: inout [UInt8]) {
        append(name: Array(name.utf8), value: Array(value.utf8), into: &out)
    }

    private static func appendLength(_ length: Int, into out: inout [UInt8]) {
        precondition(length >= 0 && length <= maxLength, "name-value length out of range")
        if length < 0x80 {
            out.append(UInt8(length))
        } else {
            out.append(UInt8(truncatingIfNeeded: length >> 24) | 0x80)
            out.append(UInt8(truncatingIfNeeded: length >> 16))
            out.append(UInt8(truncatingIfNeeded: length >> 8))
            out.append(UInt8(truncatingIfNeeded: length))
        }
    }
}
