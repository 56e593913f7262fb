import SwiftGateFastCGI

/// The daemon's own answer to a balancer's probe of its health path
/// (`health-path=`, `swiftgate serve --health-path`): no application is
/// called, so the answer says whether this process takes requests, not
/// whether an application's dependencies are up (that is `health-check`'s
/// job, at start).
///
/// `GET` or `HEAD` of exactly the path gets 200 `ok` while the process
/// serves and 503 `draining` once it drains or stops, so a balancer stops
/// sending to it before it exits; any other method gets 405. It is the one
/// answer a daemon with a secret gives without it: a balancer's probe
/// cannot send the secret, and the answer tells no more than whether the
/// socket takes connections.
package enum HealthAnswer {
    /// What is wrong with `path` as a health path, or nil: it must start
    /// with `/` and hold no space, control character, `?` or `#` (the
    /// same rule as mod_swiftgate's `health-path=`).
    package static func problem(with path: String) -> String? {
        guard path.utf8.first == UInt8(ascii: "/") else { return "must be a URL path starting with '/'" }
        let bad = path.utf8.contains { $0 <= 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
        return bad ? "must be a URL path without spaces, control characters, '?' or '#'" : nil
    }

    /// Whether a request asks for `path`: its `REQUEST_URI` without the
    /// query, or `SCRIPT_NAME` and `PATH_INFO` together, is `path` byte
    /// for byte.
    static func asks(_ description: RequestDescription, for path: String) -> Bool {
        if let uri = description.value("REQUEST_URI") {
            let uriPath = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
            if uriPath == path { return true }
        }
        let script = description.value("SCRIPT_NAME") ?? ""
        let info = description.value("PATH_INFO") ?? ""
        return !(script.isEmpty && info.isEmpty) && script + info == path
    }

    /// The CGI response (FastCGI STDOUT) for `method`.
    ///
    /// - Parameters:
    ///   - method: The request's method.
    ///   - leaving: Whether the process drains or stops.
    static func response(method: String, leaving: Bool) -> [UInt8] {
        let status: String
        let body: String
        var extra = ""
        switch method {
        case "GET", "HEAD":
            (status, body) = leaving ? ("503 Service Unavailable", "draining\n") : ("200 OK", "ok\n")
        default:
            (status, body) = ("405 Method Not Allowed", "method not allowed\n")
            extra = "Allow: GET, HEAD\r\n"
        }
        var text = "Status: \(status)\r\nContent-Type: text/plain; charset=utf-8\r\n"
        text += "Cache-Control: no-store\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n"
        if method != "HEAD" { text += body }
        return Array(text.utf8)
    }
}
