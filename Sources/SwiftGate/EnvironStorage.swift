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
/// request.
package final class EnvironStorage: Sendable {
    private let bytes: [UInt8]
    /// Where each name and value lies in `bytes`, in the host's order.
    private let names: [Range<Int>]
    private let values: [Range<Int>]
    private let dictionary: MutexBox<[String: String]?>

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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        var names: [Range<Int>] = []
        var values: [Range<Int>] = []
        names.reserveCapacity(count)
        values.reserveCapacity(count)
        for i in 0..<count {
            let (name, value) = pair(i)
            let nameStart = bytes.count
            bytes.append(contentsOf: name)
            names.append(nameStart..<bytes.count)
            let valueStart = bytes.count
            bytes.append(contentsOf: value)
            values.append(valueStart..<bytes.count)
        }
        self.bytes = bytes
        self.names = names
        self.values = values
        dictionary = MutexBox(nil)
    }

    /// Storage for an environ already made into a dictionary.
    init(_ environ: [String: String]) {
        bytes = []
        names = []
        values = []
        dictionary = MutexBox(environ)
    }

    /// The value of `key`: the last pair with that name, as in the
    /// dictionary.
    func value(_ key: String) -> String? {
        if names.isEmpty {
            return dictionary.withLock { $0?[key] }
        }
        var key = key
        return key.withUTF8 { wanted in
            bytes.withUnsafeBufferPointer { all in
                for index in names.indices.reversed() where names[index].count == wanted.count {
                    let start = names[index].lowerBound
                    if wanted.isEmpty || memcmp(all.baseAddress! + start, wanted.baseAddress!, wanted.count) == 0 {
                        return String(decoding: UnsafeBufferPointer(rebasing: all[values[index]]), as: UTF8.self)
                    }
                }
                return nil
            }
        }
    }

    /// Every variable, decoded once and kept.
    var all: [String: String] {
        dictionary.withLock { built in
            if let built { return built }
            var made: [String: String] = [:]
            made.reserveCapacity(names.count)
            for index in names.indices {
                made[string(names[index])] = string(values[index])
            }
            built = made
            return made
        }
    }

    private func string(_ range: Range<Int>) -> String {
        bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }
}
