import CSwiftGate

/// Answers to FastCGI management records (request id 0).
package enum FastCGIManagement {
    /// The variables a GET_VALUES query may ask for.
    package static let maxConns = "FCGI_MAX_CONNS"
    /// See ``maxConns``.
    package static let maxReqs = "FCGI_MAX_REQS"
    /// See ``maxConns``.
    package static let mpxsConns = "FCGI_MPXS_CONNS"

    /// The content of a GET_VALUES_RESULT record for a GET_VALUES query.
    ///
    /// Known variables are answered (one connection and one request per
    /// thread, no multiplexing); unknown ones are left out, as the spec says.
    ///
    /// - Parameters:
    ///   - query: The GET_VALUES record's content.
    ///   - threads: The number of worker threads.
    /// - Returns: The answer's content.
    /// - Throws: A ``FastCGIError`` for a malformed query.
    package static func getValuesResult(query: [UInt8], threads: UInt32) throws(FastCGIError) -> [UInt8] {
        var out: [UInt8] = []
        for span in try FastCGINameValue.decode(query) {
            let name = String(decoding: query[span.name], as: UTF8.self)
            let value: String
            switch name {
            case maxConns, maxReqs: value = String(threads)
            case mpxsConns: value = "0"
            default: continue
            }
            FastCGINameValue.append(name: name, value: value, into: &out)
        }
        return out
    }

    /// The reply to a management record: GET_VALUES_RESULT for GET_VALUES,
    /// UNKNOWN_TYPE for anything else.
    ///
    /// - Parameters:
    ///   - header: The management record's header.
    ///   - content: Its content.
    ///   - threads: The number of worker threads.
    /// - Returns: The encoded reply record.
    /// - Throws: A ``FastCGIError`` for a malformed GET_VALUES query.
    package static func reply(
        to header: FastCGIRecordHeader,
        content: [UInt8],
        threads: UInt32
    ) throws(FastCGIError)
        -> [UInt8]
    {
        if header.type == .getValues {
            let result = try getValuesResult(query: content, threads: threads)
            return FastCGIRecordEncoder.records(type: .getValuesResult, requestID: 0, content: result)
        }
        return FastCGIRecordEncoder.records(
            type: .unknownType,
            requestID: 0,
            content: FastCGIRecordEncoder.unknownTypeBody(header.type)
        )
    }
}
