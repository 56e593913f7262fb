/// Why a ``UserStore`` operation was refused.
///
/// Database failures (a locked or unreadable file) are thrown as GRDB's
/// `DatabaseError` instead, and statements a PostgreSQL server refused as
/// ``PostgresQueryError``; a PostgreSQL server that cannot be reached is
/// ``unavailable(_:)``, which a password check must answer with 503, never
/// with "denied".
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
    /// The database path is a symbolic link to nothing: the store does not
    /// create a file through it.
    case symbolicLink(String)
    /// The database file could not be made; `reason` says why.
    case cannotCreate(String, reason: String)
    /// The PostgreSQL database cannot be reached (down, refusing the
    /// login, every pooled connection busy); the text says which database
    /// (its URL without password) and why.
    case unavailable(String)
    /// libpq, the PostgreSQL client library, cannot be loaded.
    case driverMissing(String)

    public var description: String {
        switch self {
        case .userExists(let name): "user '\(name)' already exists"
        case .userNotFound(let name): "no user '\(name)'"
        case .invalidUserName(let name, let reason): "invalid user name '\(Self.printable(name))': \(reason)"
        case .invalidGroupName(let name, let reason): "invalid group name '\(Self.printable(name))': \(reason)"
        case .emptyPassword: "passwords must not be empty"
        case .hashingFailed: "the password could not be hashed"
        case .symbolicLink(let path): "\(path) is a symbolic link to nothing; will not create a database through it"
        case .cannotCreate(let path, let reason): "cannot create \(path): \(reason)"
        case .unavailable(let reason): "the user database is unavailable: \(reason)"
        case .driverMissing(let reason): "cannot load the PostgreSQL client library: \(reason)"
        }
    }

    /// The name with control characters escaped, for a message.
    private static func printable(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
    }
}
