/// A value written into a generated httpd.conf: quoted so that it stays one
/// argument, and refused when no quoting can keep it one.
///
/// Apache reads a configuration line by line and expands `${NAME}` in every
/// line before it splits the arguments (`ap_getword_conf`: inside double
/// quotes `\"` is a quote and `\\` a backslash). A control character (a
/// newline above all) would end the line and start a directive of the
/// value's choosing; `${` would be replaced by whatever Apache's environment
/// holds. Neither can be quoted, so both are refused.
enum ApacheConfigValue {
    /// Why `value` cannot go into httpd.conf, or nil when it can.
    static func problem(with value: String) -> String? {
        if let bad = value.unicodeScalars.first(where: isControl) {
            return "holds a control character (\(escapedScalar(bad)))"
        }
        if value.contains("${") { return "holds ${, which Apache would replace by a variable's value" }
        return nil
    }

    /// Throws unless `value` can go into httpd.conf.
    ///
    /// - Parameters:
    ///   - value: The value.
    ///   - what: What the value is, for the message (an option's name).
    /// - Throws: ``CommandFailure`` naming `what` and the value.
    static func check(_ value: String, what: String) throws {
        if let problem = problem(with: value) {
            throw CommandFailure("\(what) \(printable(value)) \(problem)")
        }
    }

    /// `value` with `\` and `"` escaped, for the inside of a double-quoted
    /// argument.
    ///
    /// - Throws: ``CommandFailure`` when the value cannot be written at all.
    static func escaped(_ value: String, what: String) throws -> String {
        try check(value, what: what)
        return value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
    }

    /// `value` as one double-quoted Apache argument.
    ///
    /// - Throws: ``CommandFailure`` when the value cannot be written at all.
    static func quoted(_ value: String, what: String) throws -> String {
        "\"" + (try escaped(value, what: what)) + "\""
    }

    /// `value` in single quotes, for a line of a generated sh script.
    ///
    /// - Throws: ``CommandFailure`` when the value cannot be written at all.
    static func shellQuoted(_ value: String, what: String) throws -> String {
        try check(value, what: what)
        return "'" + value.replacingAll("'", with: "'\\''") + "'"
    }

    /// `value` quoted for a message, its control characters written as
    /// escapes, so a refused value cannot break the message's line either.
    static func printable(_ value: String) -> String {
        "'" + value.unicodeScalars.map { isControl($0) ? escapedScalar($0) : String($0) }.joined() + "'"
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }

    private static func escapedScalar(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        default: "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
}
