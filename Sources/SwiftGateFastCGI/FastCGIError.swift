/// Why bytes from a FastCGI peer were refused.
///
/// Every parser in this module throws one of these for malformed input and
/// never traps; the connection that sent the bytes is closed.
package enum FastCGIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than a record header or a fixed-size body needs.
    case truncated(needed: Int, available: Int)
    /// A record header whose version byte is not 1.
    case unsupportedVersion(UInt8)
    /// A name-value pair whose length field runs past the end of the data.
    case truncatedLength(offset: Int)
    /// A name-value pair whose name or value runs past the end of the data.
    case pairOverrunsData(offset: Int, length: Int)
    /// The PARAMS stream of one request passed the limit.
    case paramsTooLarge(limit: Int)
    /// A BEGIN_REQUEST body that is not eight bytes.
    case badBeginRequest(length: Int)
    /// A record that makes no sense where it arrived.
    case unexpectedRecord(type: UInt8, requestID: UInt16)

    /// A message for the log.
    package var description: String {
        switch self {
        case .truncated(let needed, let available):
            "truncated data: \(needed) bytes needed, \(available) available"
        case .unsupportedVersion(let version):
            "unsupported FastCGI version \(version) (only 1 is spoken)"
        case .truncatedLength(let offset):
            "name-value length at offset \(offset) runs past the end of the data"
        case .pairOverrunsData(let offset, let length):
            "name-value pair at offset \(offset) declares \(length) bytes past the end of the data"
        case .paramsTooLarge(let limit):
            "PARAMS larger than \(limit) bytes"
        case .badBeginRequest(let length):
            "BEGIN_REQUEST body of \(length) bytes (8 expected)"
        case .unexpectedRecord(let type, let requestID):
            "unexpected record of type \(type) for request \(requestID)"
        }
    }
}
