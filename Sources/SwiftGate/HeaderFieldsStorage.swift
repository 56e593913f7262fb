import HTTPTypes
import Synchronization

/// A request's header fields as the host passed them, made into
/// `HTTPFields` the first time an application reads them.
///
/// Building `HTTPFields` checks and copies every name and value into
/// strings; a browser sends a dozen fields or more, and many requests are
/// answered without reading one. The host's pairs are copied as bytes (one
/// allocation, as the environ is) and turned into fields on first use,
/// from whichever thread asks.
package final class HeaderFieldsStorage: Sendable {
    /// The host's pairs, or nil when made from fields.
    private let pairs: NameValueStorage?
    private let fields: Mutex<HTTPFields?>

    /// Copies `count` pairs that `pair(i)` gives as raw buffers.
    ///
    /// - Parameters:
    ///   - count: How many fields.
    ///   - pair: The name and value bytes of field `i`, valid during the call.
    package init(count: Int, pair: NameValueStorage.Pair) {
        pairs = NameValueStorage(count: count, pair: pair)
        fields = Mutex(nil)
    }

    /// Storage for fields already made.
    init(_ fields: HTTPFields) {
        pairs = nil
        self.fields = Mutex(fields)
    }

    /// The fields, made once and kept. A pair whose name is not a field
    /// name is left out; a value's forbidden bytes become spaces, as
    /// `HTTPField` does.
    var all: HTTPFields {
        fields.withLock { built in
            if let built { return built }
            var made = HTTPFields()
            made.reserveCapacity(pairs?.count ?? 0)
            pairs?.forEachPair { name, value in
                guard let name = HTTPField.Name(String(decoding: name, as: UTF8.self)) else { return }
                // An ASCII value (nearly every one) decodes to the same
                // string either way; the bytes' own initializer validates
                // UTF-8 through generic code first (a third of the field's
                // cost). Other bytes keep that initializer's handling.
                if Self.isASCII(value) {
                    made.append(HTTPField(name: name, value: String(decoding: value, as: UTF8.self)))
                } else {
                    made.append(HTTPField(name: name, value: value))
                }
            }
            built = made
            return made
        }
    }

    private static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var any: UInt8 = 0
        for byte in bytes { any |= byte }
        return any & 0x80 == 0
    }
}
