/// Who may open a user store file that ``UserStore`` creates.
///
/// The file holds password hashes: other local users must not read it.
/// SQLite gives its journal, WAL and shared-memory files the database's
/// mode (and, run as root, its owner and group), so they are no more open
/// than the file itself.
public enum UserStoreFileAccess: Sendable, Equatable {
    /// Mode 0600: the owner alone.
    case ownerOnly
    /// Mode 0640 with this group: the owner writes, the group's members
    /// (a daemon's user, say) read.
    case groupReadable(gid: UInt32)

    /// The file mode.
    var mode: UInt32 {
        switch self {
        case .ownerOnly: 0o600
        case .groupReadable: 0o640
        }
    }
}
