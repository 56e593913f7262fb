import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A request's environ as the host passed it: one buffer of names and
/// values, read by key without decoding the rest, and turned into a
/// dictionary only when an application asks for the whole of it.
///
/// A host hands over some forty variables per request and most
/// applications read a handful; decoding every one into a `String` and
/// hashing it into a dictionary was the largest cost of describing a
/// request. The copy is one allocation: the pairs' offsets first, then
/// their bytes, filled with one `memcpy` per name and value.
package final class EnvironStorage: @unchecked Sendable {
    /// Where one name and its value lie in the byte area.
    private struct Span {
        var name: UInt32
        var nameLength: UInt32
        var value: UInt32
        var valueLength: UInt32
    }

    // Written once in init, never after: safe to read from any thread.
    private let spans: UnsafeMutableBufferPointer<Span>
    private let bytes: UnsafeMutableRawPointer
    private let dictionary: Mutex<[String: String]?>

    /// Copies `count` pairs that `pair(i)` gives as raw buffers.
    ///
    /// - Parameters:
    ///   - count: How many pairs.
    ///   - pair: The name and value bytes of pair `i`, valid during the call.
    package init(count: Int, pair: (Int) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)) {
        var total = 0
        for i in 0..<count {
            let (name, value) = pair(i)
            total += name.count + value.count
        }
        precondition(total < Int(UInt32.max), "environ over 4 GiB")
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
        self.spans = spans
        self.bytes = bytes
        dictionary = Mutex(nil)
    }

    /// Storage for an environ already made into a dictionary.
    init(_ environ: [String: String]) {
        let area = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: MemoryLayout<Span>.alignment)
        spans = UnsafeMutableBufferPointer(start: area.bindMemory(to: Span.self, capacity: 0), count: 0)
        bytes = area
        dictionary = Mutex(environ)
    }

    deinit {
        UnsafeMutableRawPointer(spans.baseAddress!).deallocate()
    }

    /// The value of `key`: the last pair with that name, as in the
    /// dictionary.
    func value(_ key: String) -> String? {
        if spans.isEmpty {
            return dictionary.withLock { $0?[key] }
        }
        var key = key
        return key.withUTF8 { wanted in
            var index = spans.count
            while index > 0 {
                index -= 1
                let span = spans[index]
                guard Int(span.nameLength) == wanted.count else { continue }
                if wanted.isEmpty || memcmp(bytes + Int(span.name), wanted.baseAddress!, wanted.count) == 0 {
                    return string(at: span.value, length: span.valueLength)
                }
            }
            return nil
        }
    }

    /// How many pairs the host passed.
    var count: Int { spans.count }

    /// Calls `body` with every pair's name and value bytes, in the host's
    /// order; the buffers are valid during the call.
    func forEachPair(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        for span in spans {
            body(
                UnsafeRawBufferPointer(start: bytes + Int(span.name), count: Int(span.nameLength)),
                UnsafeRawBufferPointer(start: bytes + Int(span.value), count: Int(span.valueLength))
            )
        }
    }

    /// Every variable, decoded once and kept.
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
