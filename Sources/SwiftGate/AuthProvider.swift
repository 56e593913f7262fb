/// The answer to a password check.
public enum PasswordCheck: Sendable, Equatable {
    /// The password is right; the user keeps the name they sent.
    case granted
    /// The password is right; the user is known by this canonical name,
    /// which becomes `REMOTE_USER`.
    case grantedAs(String)
    /// The user exists but the password is wrong (or the account is
    /// inactive).
    case denied
    /// No such user.
    case userNotFound
}

/// Answers Apache's access checks from the application's own users:
/// `AuthBasicProvider swiftgate` (``checkPassword(user:password:request:)``),
/// `Require swiftgate-group` (``groups(of:request:)``) and
/// `SwiftGateAccessScript` (``allowsAccess(_:)``).
///
/// The exported application's type conforms to it. The request given to
/// the checks has the CGI variables of the request being checked but no
/// body, and never the `Authorization` header. Throwing is an error of the
/// check (Apache answers 500), never a denial; throwing ``AuthUnavailable``
/// (the user store's database is down) answers 503.
public protocol AuthProvider: Sendable {
    /// Checks a user's password.
    ///
    /// - Parameters:
    ///   - user: The name the client sent.
    ///   - password: The password the client sent.
    ///   - request: The request being checked.
    /// - Returns: The answer.
    /// - Throws: When the check itself fails (the user store is down).
    func checkPassword(user: String, password: String, request: Request) async throws -> PasswordCheck

    /// The groups a user belongs to.
    ///
    /// - Parameters:
    ///   - user: The authenticated user (`REMOTE_USER`).
    ///   - request: The request being checked.
    /// - Returns: The group names; none by default.
    /// - Throws: When the check itself fails.
    func groups(of user: String, request: Request) async throws -> [String]

    /// Whether the client may have access at all (host-based checks).
    ///
    /// - Parameter request: The request being checked.
    /// - Returns: false to answer 403; true by default.
    /// - Throws: When the check itself fails.
    func allowsAccess(_ request: Request) async throws -> Bool
}

extension AuthProvider {
    public func groups(of user: String, request: Request) async throws -> [String] { [] }

    public func allowsAccess(_ request: Request) async throws -> Bool { true }
}
