import Foundation

/// A `postgres://` or `postgresql://` connection URL, as libpq reads it.
///
/// The URL is handed to libpq whole (its own URI rules, `?sslmode=…` and
/// the other parameters, and the `PG…` environment variables for what it
/// leaves out: `postgres:///users` is the local socket with `PGUSER`,
/// `PGPASSWORD` or `~/.pgpass`). What is kept here is only what SwiftGate
/// prints: ``redacted`` never shows a password.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The URL as given; it may hold a password: never print it.
    public let text: String

    /// Whether `text` names a PostgreSQL database rather than an SQLite
    /// file: it starts with `postgres://` or `postgresql://` (any case).
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.prefix(16).lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Reads a URL; nil unless ``isPostgres(_:)``.
    public init?(_ text: String) {
        guard Self.isPostgres(text) else { return nil }
        self.text = text
    }

    /// The URL with any password (in the user part, or a `password=`
    /// parameter) replaced by `***`.
    public var redacted: String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        var head = String(text[..<schemeEnd.upperBound])
        var rest = Substring(text[schemeEnd.upperBound...])
        // The authority ends at the first '/' or '?'; its user part at the
        // last '@' in it.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                head += userInfo[..<colon] + ":***"
            } else {
                head += userInfo
            }
            rest = rest[at...]
        }
        var out = head + rest
        if let query = out.firstIndex(of: "?") {
            let parameters = out[out.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
                .map { parameter -> String in
                    parameter.lowercased().hasPrefix("password=") ? "password=***" : String(parameter)
                }
            out = String(out[...query]) + parameters.joined(separator: "&")
        }
        return out
    }

    /// The password written in the URL, if any, for scrubbing messages.
    var passwords: [String] {
        var found: [String] = []
        if let schemeEnd = text.range(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            let authority = rest[..<(rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex)]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                let password = authority[authority.index(after: colon)..<at]
                if !password.isEmpty { found.append(String(password)) }
            }
        }
        if let query = text.firstIndex(of: "?") {
            for parameter in text[text.index(after: query)...].split(separator: "&")
            where parameter.lowercased().hasPrefix("password=") {
                let value = parameter.dropFirst("password=".count)
                if !value.isEmpty { found.append(String(value)) }
            }
        }
        return found
    }

    /// `message` with every password of the URL replaced by `***`, in case
    /// libpq quoted part of the URL back.
    func scrub(_ message: String) -> String {
        var message = message
        for password in passwords where password.count >= 1 {
            message = message.replacingOccurrences(of: password, with: "***")
        }
        return message
    }

    public var description: String { redacted }
}
