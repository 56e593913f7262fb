import CSwiftGate

/// The type byte of a FastCGI record.
///
/// A struct rather than an enum: a peer may send any byte, and an unknown
/// management type must still be answered with UNKNOWN_TYPE.
package struct FastCGIRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte on the wire.
    package var rawValue: UInt8

    /// Wraps a type byte.
    ///
    /// - Parameter rawValue: The byte from the record header.
    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    init(_ value: Int32) {
        self.rawValue = UInt8(truncatingIfNeeded: value)
    }

    /// Starts a request: role and flags.
    package static let beginRequest = Self(SWIFTGATE_FCGI_BEGIN_REQUEST)
    /// The front-end gives up on a request.
    package static let abortRequest = Self(SWIFTGATE_FCGI_ABORT_REQUEST)
    /// Ends a request: application and protocol status.
    package static let endRequest = Self(SWIFTGATE_FCGI_END_REQUEST)
    /// The request's CGI variables, as name-value pairs.
    package static let params = Self(SWIFTGATE_FCGI_PARAMS)
    /// The request body.
    package static let stdin = Self(SWIFTGATE_FCGI_STDIN)
    /// The response: CGI-style head, then the body.
    package static let stdout = Self(SWIFTGATE_FCGI_STDOUT)
    /// Error text for the front-end's log.
    package static let stderr = Self(SWIFTGATE_FCGI_STDERR)
    /// The filter role's extra input.
    package static let data = Self(SWIFTGATE_FCGI_DATA)
    /// A management query for the daemon's limits.
    package static let getValues = Self(SWIFTGATE_FCGI_GET_VALUES)
    /// The answer to ``getValues``.
    package static let getValuesResult = Self(SWIFTGATE_FCGI_GET_VALUES_RESULT)
    /// The answer to a management record not understood.
    package static let unknownType = Self(SWIFTGATE_FCGI_UNKNOWN_TYPE)

    /// The spec's name for the type, or its number.
    package var description: String {
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
