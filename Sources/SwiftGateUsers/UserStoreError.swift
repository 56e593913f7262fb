/// Why a ``UserStore`` operation was refused.
///
/// Database failures (a locked or unreadable file) are thrown as GRDB's
/// `DatabaseError` instead.
public enum UserStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A user of that name exists already.
    case userExists(String)
    /// No user has that name.
    case userNotFound(String)
    /// The user name cannot be used; `reason` says why.
    case invalidUserName(String, reason: String)
    /// The group name cannot be used; `reason` says why.
    case invalidGroupName(String, reason: String)
    /// The password is empty.
    case emptyPassword
    /// The key derivation failed.
    case hashingFailed

    public var description: String {
        switch self {
        case .userExists(let name): "user '\(name)' already exists"
        case .userNotFound(let name): "no user '\(name)'"
        case .invalidUserName(let name, let reason): "invalid user name '\(Self.printable(name))': \(reason)"
        case .invalidGroupName(let name, let reason): "invalid group name '\(Self.printable(name))': \(reason)"
        case .emptyPassword: "passwords must not be empty"
        case .hashingFailed: "the password could not be hashed"
        }
    }

    /// The name with control characters escaped, for a message.
    private static func printable(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
    }
}
