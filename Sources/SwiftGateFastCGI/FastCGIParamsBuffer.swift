/// Collects the PARAMS stream of one request, whose pairs may be split
/// across records, up to a limit.
package struct FastCGIParamsBuffer: Sendable {
    /// The most PARAMS bytes one request may send (1 MiB).
    package static let defaultLimit = 1 << 20

    /// The bytes received so far.
    package private(set) var bytes: [UInt8] = []
    /// The most bytes accepted.
    package let limit: Int

    /// Makes an empty buffer.
    ///
    /// - Parameter limit: The most bytes accepted.
    package init(limit: Int = Self.defaultLimit) {
        self.limit = limit
    }

    /// Appends the content of one PARAMS record.
    ///
    /// - Parameter content: The record's content.
    /// - Throws: ``FastCGIError/paramsTooLarge(limit:)`` past the limit.
    package mutating func append(_ content: [UInt8]) throws(FastCGIError) {
        guard content.count <= limit - bytes.count else { throw .paramsTooLarge(limit: limit) }
        bytes.append(contentsOf: content)
    }

    /// Decodes the collected pairs.
    ///
    /// - Returns: The pairs' spans in ``bytes``.
    /// - Throws: As ``FastCGINameValue/decode(_:)-([UInt8])``.
    package func decode() throws(FastCGIError) -> [FastCGIPairSpan] {
        try FastCGINameValue.decode(bytes)
    }
}
