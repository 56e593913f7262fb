import Glibc

/// The shapes `swiftgate express` accepts for the option values that have
/// one: each is narrower than what Apache would take, so that a value
/// written into httpd.conf means exactly what was given.
enum OptionGrammar {
    /// Apache's log levels; `trace1` to `trace8` are accepted as well.
    static let logLevels = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"]

    /// Whether `level` is one of Apache's log levels.
    static func isLogLevel(_ level: String) -> Bool {
        logLevels.contains(level) || (1...8).map { "trace\($0)" }.contains(level)
    }

    /// Whether `path` is a URL path: `/` then the characters RFC 3986
    /// allows in a path (percent escapes included), without quotes,
    /// backslashes, spaces, `?` or `#`.
    static func isURLPath(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        let allowed = Set("-._~!&()*+,;=:@/%".utf8)
        return path.utf8.allSatisfy { isLetterOrDigit($0) || allowed.contains($0) }
    }

    /// Whether `name` can be a C symbol (what `callable-object=` takes).
    static func isSymbol(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first) else { return false }
        return name.utf8.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// Whether `name` can be a user or group name of the system: letters,
    /// digits, `.`, `_`, `-` (not first), and a `$` at the end only.
    static func isAccountName(_ name: String) -> Bool {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: "$") { bytes.removeLast() }
        guard let first = bytes.first, first != UInt8(ascii: "-") else { return false }
        let allowed = Set("._-".utf8)
        return bytes.allSatisfy { isLetterOrDigit($0) || allowed.contains($0) }
    }

    /// Whether `name` can be a group of the application's users as
    /// `--auth-group` names it: letters, digits, `.`, `_`, `-`, `@`, `+`.
    static func isAuthGroup(_ name: String) -> Bool {
        let allowed = Set("._-@+".utf8)
        return !name.isEmpty && name.utf8.allSatisfy { isLetterOrDigit($0) || allowed.contains($0) }
    }

    /// Whether `host` is an IPv4 or IPv6 address (without brackets) or a
    /// host name (letters, digits and `-` in dot-separated labels).
    static func isHost(_ host: String) -> Bool {
        var address = in6_addr()
        if inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1 { return true }
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last, bytes.count <= 63 else { return false }
            return isLetterOrDigit(first) && isLetterOrDigit(last)
                && bytes.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
