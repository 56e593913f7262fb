import CSwiftGate
import SwiftGateFastCGI
import SwiftGateHosting

/// One access check asked of an application through `swiftgate_check`:
/// the `ctx` of the `swiftgate_check` handed over, collecting what the
/// application reports back (a canonical user name, groups).
///
/// What is asked follows mod_authnz_fcgi's variables (see swiftgate.h):
/// `FCGI_APACHE_ROLE=AUTHENTICATOR` asks for a password check,
/// `FCGI_APACHE_ROLE=AUTHORIZER` with `SWIFTGATE_CHECK=groups` for the
/// user's groups, and anything else (a generic FastCGI authorizer too) for
/// access.
final class AccessCheck {
    /// What is asked: a `SWIFTGATE_CHECK_*` value.
    enum Kind: UInt32 {
        case password = 1
        case groups = 2
        case access = 3

        /// For log lines.
        var name: String {
            switch self {
            case .password: "password"
            case .groups: "groups"
            case .access: "access"
            }
        }
    }

    let kind: Kind
    /// The user (PASSWORD, GROUPS), as the front-end sent it.
    let user: [UInt8]
    /// The password (PASSWORD).
    let password: [UInt8]
    /// The name given with `set_user`, if any.
    private(set) var canonicalUser: [UInt8]?
    /// The groups given with `add_group`, in order.
    private(set) var groups: [[UInt8]] = []

    /// Reads what is asked from the request's variables.
    ///
    /// - Parameter description: The request, before the password and the
    ///   Authorization header are taken out of it.
    init(description: RequestDescription) {
        let apacheRole = description.value("FCGI_APACHE_ROLE")
        if apacheRole == "AUTHENTICATOR" {
            kind = .password
        } else if apacheRole == "AUTHORIZER", description.value(SWIFTGATE_PARAM_CHECK) == "groups" {
            kind = .groups
        } else {
            kind = .access
        }
        user = kind == .access ? [] : description.bytes("REMOTE_USER") ?? []
        password = kind == .password ? description.bytes("REMOTE_PASSWD") ?? [] : []
    }

    /// Calls the application's `swiftgate_check` with this check.
    ///
    /// - Parameters:
    ///   - check: The library's `swiftgate_check`.
    ///   - application: The started instance's handle.
    ///   - environ: The request's variables, without the password.
    /// - Returns: What `swiftgate_check` returned (`SWIFTGATE_AUTH_*`).
    func run(
        _ check: swiftgate_check_fn,
        application: UnsafeMutableRawPointer,
        environ: UnsafeBufferPointer<swiftgate_pair>
    ) -> Int32 {
        // NUL-terminated copies, for C applications that read C strings.
        let userC = user + [0]
        let passwordC = password + [0]
        return userC.withUnsafeBufferPointer { userBuffer in
            passwordC.withUnsafeBufferPointer { passwordBuffer in
                var request = swiftgate_check_request()
                request.struct_size = UInt32(MemoryLayout<swiftgate_check_request>.size)
                request.kind = kind.rawValue
                request.environ = environ.baseAddress
                request.environ_count = UInt64(environ.count)
                if kind != .access {
                    request.user = UnsafeRawPointer(userBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                    request.user_len = UInt64(user.count)
                }
                if kind == .password {
                    request.password = UnsafeRawPointer(passwordBuffer.baseAddress!)
                        .assumingMemoryBound(to: CChar.self)
                    request.password_len = UInt64(password.count)
                }
                request.ctx = Unmanaged.passUnretained(self).toOpaque()
                request.set_user = { ctx, name, length in
                    guard let ctx else { return }
                    AccessCheck.of(ctx).canonicalUser = AccessCheck.bytes(name, length)
                }
                request.add_group = { ctx, name, length in
                    guard let ctx else { return }
                    AccessCheck.of(ctx).groups.append(AccessCheck.bytes(name, length))
                }
                return withUnsafePointer(to: &request) { check(application, $0) }
            }
        }
    }

    private static func of(_ ctx: UnsafeMutableRawPointer) -> AccessCheck {
        Unmanaged<AccessCheck>.fromOpaque(ctx).takeUnretainedValue()
    }

    private static func bytes(_ pointer: UnsafePointer<CChar>?, _ length: UInt64) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
    }

    /// The response for a granted check: `Status: 200 OK`, and the
    /// variables for the front-end: `Variable-REMOTE_USER` for a password
    /// check granted under a canonical name, `Variable-SWIFTGATE_GROUPS`
    /// for a groups check.
    ///
    /// Groups that could not travel in the comma-separated list or in a
    /// field value (a comma, a control byte, nothing at all) are left out.
    ///
    /// - Returns: The response, or nil when the canonical name cannot be a
    ///   field value (then the check is an error, never a grant under
    ///   another name).
    func grantedResponse() -> (response: [UInt8], skippedGroups: Int)? {
        var fields: [(String, [UInt8])] = []
        var skipped = 0
        switch kind {
        case .password:
            if let name = canonicalUser, !name.isEmpty {
                guard ResponseHead.isValidValue(name) else { return nil }
                fields.append(("Variable-REMOTE_USER", name))
            }
        case .groups:
            let usable = groups.filter {
                !$0.isEmpty && !$0.contains(UInt8(ascii: ",")) && ResponseHead.isValidValue($0)
            }
            skipped = groups.count - usable.count
            fields.append(
                ("Variable-\(SWIFTGATE_GROUPS_VARIABLE)", Array(usable.joined(separator: [UInt8(ascii: ",")])))
            )
        case .access:
            break
        }
        return (Self.response(status: 200, fields: fields), skipped)
    }

    /// An authorizer response with an empty body.
    ///
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - fields: Extra fields, already checked.
    /// - Returns: The STDOUT content.
    static func response(status: Int, fields: [(String, [UInt8])] = []) -> [UInt8] {
        var out = ResponseHead.statusLine(status)
        out.append(contentsOf: "Content-Type: text/plain\r\n".utf8)
        for (name, value) in fields {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }
}
