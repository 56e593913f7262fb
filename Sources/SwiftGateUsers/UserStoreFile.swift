import Glibc

/// Making a user store's file before SQLite opens it, so that it is born
/// with the right mode and never through a planted symbolic link.
///
/// SQLite would create a missing file with mode 0644 minus the umask, and
/// follow a symbolic link to wherever it points. The file is made here
/// instead with `O_CREAT | O_EXCL | O_NOFOLLOW` and its mode set on the
/// open descriptor (``UserStoreFileAccess``), without touching the
/// process's umask, which other threads share. SQLite then opens the empty
/// file as a new database.
enum UserStoreFile {
    /// Creates the file at `path` unless it exists.
    ///
    /// An existing file, or a link to one, is left as it is for SQLite to
    /// open. A link to nothing is refused: SQLite would create its target.
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - access: Who may read a new file.
    /// - Returns: true when the file was made here.
    /// - Throws: ``UserStoreError/symbolicLink(_:)`` for a dangling link;
    ///   ``UserStoreError/cannotCreate(_:reason:)`` when the file cannot be
    ///   made or given its group and mode (a half-made file is removed).
    static func createIfMissing(_ path: String, access: UserStoreFileAccess) throws(UserStoreError) -> Bool {
        // SQLite's names for a database in memory or a temporary file, and
        // URI names, are not paths to make.
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else { return false }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(access.mode))
        if fd < 0 {
            let error = errno
            guard error == EEXIST else { throw .cannotCreate(path, reason: Self.describe(error)) }
            var link = stat()
            var target = stat()
            if lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, stat(path, &target) != 0 {
                throw .symbolicLink(path)
            }
            return false
        }
        defer { close(fd) }
        // The mode is set on the descriptor so the umask cannot narrow or
        // widen it; the group first, so the file is never group-readable
        // with the creator's group.
        var failure: String?
        if case .groupReadable(let gid) = access, fchown(fd, uid_t.max, gid_t(gid)) != 0 {
            failure = "cannot give it to group \(gid): \(Self.describe(errno))"
        } else if fchmod(fd, mode_t(access.mode)) != 0 {
            failure = "cannot set its mode: \(Self.describe(errno))"
        }
        if let failure {
            unlink(path)
            throw .cannotCreate(path, reason: failure)
        }
        return true
    }

    private static func describe(_ error: Int32) -> String {
        String(cString: strerror(error))
    }
}
