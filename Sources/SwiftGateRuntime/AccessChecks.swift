import CSwiftGate
import Logging
import SwiftGate

/// `swiftgate_check`: answers an access check with the application's
/// ``AuthProvider``, on the calling host thread.
@_cdecl("swiftgate_check")
public func swiftgate_check(
    _ app: UnsafeMutableRawPointer?,
    _ check: UnsafePointer<swiftgate_check_request>?
) -> Int32 {
    guard let app, let check else { return SWIFTGATE_AUTH_ERROR }
    let running = Unmanaged<RunningApplication>.fromOpaque(app).takeUnretainedValue()
    guard let provider = running.application as? any AuthProvider else {
        running.logger.error(
            "application '\(running.callable)' cannot answer access checks: its type does not conform to AuthProvider"
        )
        return SWIFTGATE_AUTH_ERROR
    }
    let c = check.pointee
    var environ: [String: String] = [:]
    for i in 0..<Int(c.environ_count) {
        let pair = c.environ[i]
        environ[text(pair.name, pair.name_len)] = text(pair.value, pair.value_len)
    }
    environ["HTTP_AUTHORIZATION"] = nil
    let kind = c.kind
    let user = text(c.user, c.user_len)
    let password = text(c.password, c.password_len)
    let logger = running.logger
    let answer: AccessAnswer = HostThreadExecutor.current.run { [environ] in
        do {
            var env = environ
            if env["REQUEST_METHOD"] == nil { env["REQUEST_METHOD"] = "GET" }
            let request = try Request(environ: env, context: RequestContext(logger: logger))
            switch kind {
            case UInt32(SWIFTGATE_CHECK_PASSWORD):
                return AccessAnswer(
                    passwordCheck: try await provider.checkPassword(user: user, password: password, request: request)
                )
            case UInt32(SWIFTGATE_CHECK_GROUPS):
                return AccessAnswer(
                    status: SWIFTGATE_AUTH_GRANTED,
                    groups: try await provider.groups(of: user, request: request)
                )
            case UInt32(SWIFTGATE_CHECK_ACCESS):
                let allowed = try await provider.allowsAccess(request)
                return AccessAnswer(status: allowed ? SWIFTGATE_AUTH_GRANTED : SWIFTGATE_AUTH_DENIED)
            default:
                logger.error("unknown access check kind \(kind)")
                return AccessAnswer(status: SWIFTGATE_AUTH_ERROR)
            }
        } catch let error as AuthUnavailable {
            logger.error("access check for user '\(user)' could not be made: \(error.reason)")
            return AccessAnswer(status: SWIFTGATE_AUTH_UNAVAILABLE)
        } catch {
            logger.error("access check failed for user '\(user)': \(error)")
            return AccessAnswer(status: SWIFTGATE_AUTH_ERROR)
        }
    }
    if let canonical = answer.canonicalUser {
        send(canonical) { c.set_user?(c.ctx, $0, $1) }
    }
    for group in answer.groups {
        send(group) { c.add_group?(c.ctx, $0, $1) }
    }
    return answer.status
}

/// What a check answered, carried back to the host thread.
struct AccessAnswer: Sendable {
    var status: Int32
    var canonicalUser: String?
    var groups: [String] = []

    init(status: Int32, canonicalUser: String? = nil, groups: [String] = []) {
        self.status = status
        self.canonicalUser = canonicalUser
        self.groups = groups
    }

    init(passwordCheck: PasswordCheck) {
        switch passwordCheck {
        case .granted: self.init(status: SWIFTGATE_AUTH_GRANTED)
        case .grantedAs(let name): self.init(status: SWIFTGATE_AUTH_GRANTED, canonicalUser: name)
        case .denied: self.init(status: SWIFTGATE_AUTH_DENIED)
        case .userNotFound: self.init(status: SWIFTGATE_AUTH_USER_NOT_FOUND)
        }
    }
}

private func text(_ pointer: UnsafePointer<CChar>?, _ length: UInt64) -> String {
    guard let pointer else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
}

private func send(_ string: String, _ body: (UnsafePointer<CChar>, UInt64) -> Void) {
    var string = string
    string.withUTF8 { utf8 in
        utf8.withMemoryRebound(to: CChar.self) { chars in
            if let base = chars.baseAddress { body(base, UInt64(chars.count)) }
        }
    }
}
