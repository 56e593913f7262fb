import HTTPTypes
import SwiftGate

extension Application {
    /// Serves one request in memory, the way a host would, and records the
    /// response.
    ///
    /// The environ holds the CGI variables a host would set for `target`
    /// with the application mounted at `scriptName`.
    ///
    /// - Parameters:
    ///   - target: The path below the mount point, with an optional query.
    ///   - method: The method; `GET` by default.
    ///   - scriptName: The mount point; `""` for the site root.
    ///   - headerFields: The request header fields.
    ///   - body: The request body's chunks.
    ///   - environ: Extra or replacement environ entries.
    ///   - context: The request context (to inspect finish hooks).
    /// - Returns: The recorded response.
    public func test(
        _ target: String,
        method: HTTPRequest.Method = .get,
        scriptName: String = "",
        headerFields: HTTPFields = [:],
        body: [[UInt8]] = [],
        environ: [String: String] = [:],
        context: RequestContext = RequestContext()
    ) async throws -> TestResponse {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var env: [String: String] = [
            "REQUEST_METHOD": method.rawValue,
            "SCRIPT_NAME": scriptName,
            "PATH_INFO": FormDecoder.unescape(parts[0], plusIsSpace: false),
            "QUERY_STRING": parts.count > 1 ? String(parts[1]) : "",
            "REQUEST_URI": scriptName + target,
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            EnvironKey.urlScheme: "http",
            EnvironKey.version: EnvironKey.interfaceVersion,
        ]
        env.merge(environ) { _, new in new }
        let request = try Request(
            environ: env,
            headerFields: headerFields,
            body: RequestBody(chunks: body),
            context: context
        )
        let sink = RecordingSink()
        let outcome = await serve(request, to: sink)
        return sink.response(outcome: outcome)
    }
}
