/// Decodes `application/x-www-form-urlencoded` text.
public enum FormDecoder {
    /// Splits and decodes `a=1&b=x+y` into name/value pairs, in order.
    ///
    /// - Parameter text: The encoded text (a query string or a form body).
    /// - Returns: The decoded pairs; malformed escapes are kept as written.
    public static func decode(_ text: String) -> [(name: String, value: String)] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = unescape(pieces[0])
            let value = pieces.count > 1 ? unescape(pieces[1]) : ""
            return (name, value)
        }
    }

    /// Decodes one form-encoded component: `+` is a space, `%XX` a byte.
    ///
    /// - Parameters:
    ///   - text: The encoded component.
    ///   - plusIsSpace: Whether `+` means a space (forms) or itself (paths).
    /// - Returns: The decoded text (invalid UTF-8 is repaired).
    public static func unescape(_ text: Substring, plusIsSpace: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let high = iterator.next()
                let low = iterator.next()
                if let high, let low, let h = hexValue(high), let l = hexValue(low) {
                    bytes.append(h << 4 | l)
                } else {
                    bytes.append(byte)
                    if let high { bytes.append(high) }
                    if let low { bytes.append(low) }
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
