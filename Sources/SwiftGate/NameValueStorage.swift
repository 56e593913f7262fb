import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A request's names and values (its environ, or its header fields) in one
/// buffer: read by name without decoding the rest, and turned into a
/// dictionary only when an application asks for the whole of it.
///
/// A host hands over some forty variables per request and most
/// applications read a handful; decoding every one into a `String` and
/// hashing it into a dictionary was the largest cost of describing a
/// request. The copy is one allocation: the pairs' offsets first, then
/// their bytes, filled with one `memcpy` per name and value.
///
/// A storage never changes once made. Changing a value makes a new storage
/// (``replacing(_:with:)``), so copies of a request never see each other's
/// changes.
package final class NameValueStorage: @unchecked Sendable {
    /// Where one name and its value lie in the byte area.
    private struct Span {
        var name: UInt32
        var nameLength: UInt32
        var value: UInt32
        var valueLength: UInt32
    }

    /// The name and value bytes of pair `i`, valid during the call.
    package typealias Pair = (Int) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    // Written once in init, never after: safe to read from any thread.
    private let spans: UnsafeMutableBufferPointer<Span>
    private let bytes: UnsafeMutableRawPointer
    private let dictionary: Mutex<[String: String]?>

    /// Copies `count` pairs that `pair(i)` gives as raw buffers.
    ///
    /// - Parameters:
    ///   - count: How many pairs.
    ///   - pair: The name and value bytes of pair `i`, valid during the call.
    package convenience init(count: Int, pair: Pair) {
        self.init(Self.copy(count: count, pair: pair), dictionary: nil)
    }

    /// Storage for names and values made as a dictionary (in no set order).
    ///
    /// - Parameter values: The names and their values.
    convenience init(_ values: [String: String]) {
        var flat: [UInt8] = []
        var ranges: [(name: Range<Int>, value: Range<Int>)] = []
        ranges.reserveCapacity(values.count)
        for (name, value) in values {
            let nameStart = flat.count
            flat.append(contentsOf: name.utf8)
            let valueStart = flat.count
            flat.append(contentsOf: value.utf8)
            ranges.append((nameStart..<valueStart, valueStart..<flat.count))
        }
        let copied = flat.withUnsafeBytes { raw in
            Self.copy(count: ranges.count) { i in
                (
                    UnsafeRawBufferPointer(rebasing: raw[ranges[i].name]),
                    UnsafeRawBufferPointer(rebasing: raw[ranges[i].value])
                )
            }
        }
        self.init(copied, dictionary: values)
    }

    /// Takes over an allocation made by ``copy(count:pair:)``.
    private init(
        _ copied: (spans: UnsafeMutableBufferPointer<Span>, bytes: UnsafeMutableRawPointer),
        dictionary: [String: String]?
    ) {
        spans = copied.spans
        bytes = copied.bytes
        self.dictionary = Mutex(dictionary)
    }

    /// Copies the pairs into one new allocation: the spans, then the bytes.
    private static func copy(
        count: Int,
        pair: Pair
    ) -> (spans: UnsafeMutableBufferPointer<Span>, bytes: UnsafeMutableRawPointer) {
        var total = 0
        for i in 0..<count {
            let (name, value) = pair(i)
            total += name.count + value.count
        }
        precondition(total < Int(UInt32.max), "names and values over 4 GiB")
        let spanBytes = count * MemoryLayout<Span>.stride
        let area = UnsafeMutableRawPointer.allocate(
            byteCount: max(spanBytes + total, 1),
            alignment: MemoryLayout<Span>.alignment
        )
        let spans = UnsafeMutableBufferPointer(
            start: area.bindMemory(to: Span.self, capacity: count),
            count: count
        )
        let bytes = area + spanBytes
        var offset = 0
        for i in 0..<count {
            let (name, value) = pair(i)
            if let base = name.baseAddress, !name.isEmpty {
                memcpy(bytes + offset, base, name.count)
            }
            let valueStart = offset + name.count
            if let base = value.baseAddress, !value.isEmpty {
                memcpy(bytes + valueStart, base, value.count)
            }
            spans[i] = Span(
                name: UInt32(offset),
                nameLength: UInt32(name.count),
                value: UInt32(valueStart),
                valueLength: UInt32(value.count)
            )
            offset = valueStart + value.count
        }
        return (spans, bytes)
    }

    deinit {
        UnsafeMutableRawPointer(spans.baseAddress!).deallocate()
    }

    /// The index of the last pair called `key`.
    private func lastIndex(of key: String) -> Int? {
        var key = key
        return key.withUTF8 { wanted in
            var index = spans.count
            while index > 0 {
                index -= 1
                let span = spans[index]
                guard Int(span.nameLength) == wanted.count else { continue }
                if wanted.isEmpty || memcmp(bytes + Int(span.name), wanted.baseAddress!, wanted.count) == 0 {
                    return index
                }
            }
            return nil
        }
    }

    /// The value of `key`: the last pair with that name, as in the
    /// dictionary.
    ///
    /// - Parameter key: The name.
    /// - Returns: Its value, or `nil` when no pair has that name.
    func value(_ key: String) -> String? {
        lastIndex(of: key).map { string(at: spans[$0].value, length: spans[$0].valueLength) }
    }

    /// This storage with every pair called `name` taken out and, unless
    /// `value` is `nil`, one pair `name`=`value` added at the end.
    ///
    /// - Parameters:
    ///   - name: The name.
    ///   - value: Its new value, or `nil` to remove it.
    /// - Returns: The new storage; this one is unchanged.
    func replacing(_ name: String, with value: String?) -> NameValueStorage {
        let newName = Array(name.utf8)
        let newValue = value.map { Array($0.utf8) }
        let kept = spans.indices.filter { index in
            let span = spans[index]
            return Int(span.nameLength) != newName.count
                || !UnsafeRawBufferPointer(start: bytes + Int(span.name), count: newName.count).elementsEqual(newName)
        }
        let built = dictionary.withLock { $0 }.map { values in
            var changed = values
            changed[name] = value
            return changed
        }
        let copied = newName.withUnsafeBytes { nameBuffer in
            (newValue ?? []).withUnsafeBytes { valueBuffer in
                Self.copy(count: kept.count + (newValue == nil ? 0 : 1)) { i in
                    i < kept.count ? buffers(kept[i]) : (nameBuffer, valueBuffer)
                }
            }
        }
        return NameValueStorage(copied, dictionary: built)
    }

    /// How many pairs there are.
    var count: Int { spans.count }

    /// Calls `body` with every pair's name and value bytes, in order; the
    /// buffers are valid during the call.
    ///
    /// - Parameter body: Takes a name and its value.
    func forEachPair(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        for index in spans.indices {
            let (name, value) = buffers(index)
            body(name, value)
        }
    }

    private func buffers(_ index: Int) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let span = spans[index]
        return (
            UnsafeRawBufferPointer(start: bytes + Int(span.name), count: Int(span.nameLength)),
            UnsafeRawBufferPointer(start: bytes + Int(span.value), count: Int(span.valueLength))
        )
    }

    /// Every pair in a dictionary (the last of a name wins), decoded once
    /// and kept.
    var all: [String: String] {
        dictionary.withLock { built in
            if let built { return built }
            var made: [String: String] = [:]
            made.reserveCapacity(spans.count)
            for span in spans {
                made[string(at: span.name, length: span.nameLength)] = string(at: span.value, length: span.valueLength)
            }
            built = made
            return made
        }
    }

    private func string(at offset: UInt32, length: UInt32) -> String {
        let start = UnsafeRawPointer(bytes + Int(offset)).assumingMemoryBound(to: UInt8.self)
        return String(decoding: UnsafeBufferPointer(start: start, count: Int(length)), as: UTF8.self)
    }
}
