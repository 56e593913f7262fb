import CSwiftGate

/// The type byte of a FastCGI record.
///
/// A struct rather than an enum: a peer may send any byte, and an unknown
/// management type must still be answered with UNKNOWN_TYPE.
public struct FastCGIRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte on the wire.
    public var rawValue: UInt8

    /// Wraps a type byte.
    ///
    /// - Parameter rawValue: The byte from the record header.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    init(_ value: Int32) {
        self.rawValue = UInt8(truncatingIfNeeded: value)
    }

    /// Starts a request: role and flags.
    public static let beginRequest = Self(SWIFTGATE_FCGI_BEGIN_REQUEST)
    /// The front-end gives up on a request.
    public static let abortRequest = Self(SWIFTGATE_FCGI_ABORT_REQUEST)
    /// Ends a request: application and protocol status.
    public static let endRequest = Self(SWIFTGATE_FCGI_END_REQUEST)
    /// The request's CGI variables, as name-value pairs.
    public static let params = Self(SWIFTGATE_FCGI_PARAMS)
    /// The request body.
    public static let stdin = Self(SWIFTGATE_FCGI_STDIN)
    /// The response: CGI-style head, then the body.
    public static let stdout = Self(SWIFTGATE_FCGI_STDOUT)
    /// Error text for the front-end's log.
    public static let stderr = Self(SWIFTGATE_FCGI_STDERR)
    /// The filter role's extra input.
    public static let data = Self(SWIFTGATE_FCGI_DATA)
    /// A management query for the daemon's limits.
    public static let getValues = Self(SWIFTGATE_FCGI_GET_VALUES)
    /// The answer to ``getValues``.
    public static let getValuesResult = Self(SWIFTGATE_FCGI_GET_VALUES_RESULT)
    /// The answer to a management record not understood.
    public static let unknownType = Self(SWIFTGATE_FCGI_UNKNOWN_TYPE)

    /// The spec's name for the type, or its number.
    public var description: String {
        switch self {
        case .beginRequest: "BEGIN_REQUEST"
        case .abortRequest: "ABORT_REQUEST"
        case .endRequest: "END_REQUEST"
        case .params: "PARAMS"
        case .stdin: "STDIN"
        case .stdout: "STDOUT"
        case .stderr: "STDERR"
        case .data: "DATA"
        case .getValues: "GET_VALUES"
        case .getValuesResult: "GET_VALUES_RESULT"
        case .unknownType: "UNKNOWN_TYPE"
        default: "type \(rawValue)"
        }
    }
}
