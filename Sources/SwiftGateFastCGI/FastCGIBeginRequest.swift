import CSwiftGate

/// The content of a BEGIN_REQUEST record: the role and the flags.
package struct FastCGIBeginRequest: Equatable, Sendable {
    /// The responder role: produce a response for a request.
    package static let responder = UInt16(SWIFTGATE_FCGI_RESPONDER)
    /// The authorizer role: allow or deny a request.
    package static let authorizer = UInt16(SWIFTGATE_FCGI_AUTHORIZER)
    /// The filter role: produce a response from a request and a data stream.
    package static let filter = UInt16(SWIFTGATE_FCGI_FILTER)

    /// The role the front-end asks for.
    package var role: UInt16
    /// The flag byte (`SWIFTGATE_FCGI_KEEP_CONN`).
    package var flags: UInt8

    /// Makes a BEGIN_REQUEST body.
    ///
    /// - Parameters:
    ///   - role: The role.
    ///   - keepConnection: Whether the front-end will send further requests
    ///     on the connection.
    package init(role: UInt16, keepConnection: Bool) {
        self.role = role
        self.flags = keepConnection ? UInt8(SWIFTGATE_FCGI_KEEP_CONN) : 0
    }

    /// Parses the content of a BEGIN_REQUEST record.
    ///
    /// - Parameter content: The record's content: exactly eight bytes.
    /// - Throws: ``FastCGIError/badBeginRequest(length:)`` for any other length.
    package init(parsing content: [UInt8]) throws(FastCGIError) {
        guard content.count == 8 else { throw .badBeginRequest(length: content.count) }
        role = UInt16(content[0]) << 8 | UInt16(content[1])
        flags = content[2]
    }

    /// Whether the connection stays open after this request.
    package var keepConnection: Bool { flags & UInt8(SWIFTGATE_FCGI_KEEP_CONN) != 0 }

    /// The eight content bytes.
    package var encoded: [UInt8] {
        [UInt8(truncatingIfNeeded: role >> 8), UInt8(truncatingIfNeeded: role), flags, 0, 0, 0, 0, 0]
    }
}
