import ArgumentParser
import Glibc
import SwiftGateUsers

/// `swiftgate users`: manages the users of an application's user store.
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the users of a SwiftGateUsers database.",
        discussion: """
            New passwords are read from the terminal without echo (asked twice), or as the first \
            line of standard input when it is not a terminal. New hashes use Django's PBKDF2-SHA256 \
            with \(PasswordHash.defaultIterations) iterations. A database that `add` creates is mode \
            0600 (0640 with --group-readable GROUP), and never made through a symbolic link. \
            --db also takes a PostgreSQL URL, postgres://user@host:port/database (libpq's URL rules, \
            PG* environment variables and ~/.pgpass; a password in the URL is never printed): the \
            tables are made there on first use, so every host of a site can check passwords \
            against one store.
            """,
        subcommands: [
            UsersAdd.self, UsersPasswd.self, UsersList.self, UsersDelete.self,
            UsersAddGroup.self, UsersRemoveGroup.self, UsersActivate.self, UsersDeactivate.self,
        ]
    )
}

/// The `--db` option every `users` subcommand takes, and opening the store.
struct UserDatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp("The user database: an SQLite file, or a postgres:// URL.", valueName: "path|url")
    )
    var path: String

    /// The PBKDF2 iteration count of new hashes: tests lower it to the
    /// floor for speed, a site sharing its table with an older supported
    /// Django may match that Django's default.
    @Option(help: .hidden)
    var iterations: Int = PasswordHash.defaultIterations

    func validate() throws {
        let allowed = PasswordHash.oldestDjangoDefaultIterations...PasswordHash.maximumIterations
        guard allowed.contains(iterations) else {
            throw ValidationError(
                "--iterations must be \(allowed.lowerBound) to \(allowed.upperBound) "
                    + "(\(allowed.lowerBound) is the default of the oldest Django release still supported)"
            )
        }
    }

    /// Opens the store.
    ///
    /// - Parameters:
    ///   - create: Whether a missing file is made (only `add`); then the
    ///     path must not be a symbolic link.
    ///   - fileAccess: Who may read a file made here.
    /// - Returns: The store.
    /// - Throws: ``CommandFailure`` for a missing file when `create` is
    ///   false, a symbolic link when it is true, or a file that cannot be
    ///   made or opened.
    func open(create: Bool = false, fileAccess: UserStoreFileAccess = .ownerOnly) throws -> UserStore {
        if PostgresURL.isPostgres(path) { return try openPostgres() }
        var info = stat()
        let exists = lstat(path, &info) == 0
        if create, exists, info.st_mode & S_IFMT == S_IFLNK {
            throw CommandFailure(
                "\(path) is a symbolic link; `users add` creates and opens only the real path of a database"
            )
        }
        if !create, access(path, F_OK) != 0 {
            throw CommandFailure("no user database at \(path); create one with `swiftgate users add`")
        }
        let store: UserStore
        do {
            store = try UserStore(path: path, iterations: iterations, fileAccess: fileAccess)
        } catch let error as UserStoreError {
            throw CommandFailure(error.description)
        } catch {
            throw CommandFailure("cannot open the user database at \(path): \(error)")
        }
        if stat(path, &info) == 0, info.st_mode & 0o007 != 0 {
            warn(
                "the user database at \(path) is open to other users (mode "
                    + "\(String(info.st_mode & 0o777, radix: 8))): chmod 600 it (640 with a group that must read it)"
            )
        }
        return store
    }
}

extension UserDatabaseOptions {
    /// Whether `--db` is a PostgreSQL URL.
    var isPostgres: Bool { PostgresURL.isPostgres(path) }

    /// `--db` as shown in messages: a URL without its password.
    var shownPath: String { PostgresURL(path)?.redacted ?? path }

    /// Opens a PostgreSQL store and reaches the database once (making the
    /// tables if needed), so that a database that is down is told before
    /// a password is asked.
    private func openPostgres() throws -> UserStore {
        do {
            let store = try UserStore(url: path, iterations: iterations)
            try store.checkAvailable()
            return store
        } catch let error as UserStoreError {
            throw CommandFailure(error.description)
        } catch {
            throw CommandFailure("cannot open the user database at \(shownPath): \(error)")
        }
    }
}

/// Prints `warning: message` on standard error.
func warn(_ message: String) {
    var line = "warning: \(message)\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Runs a store operation, turning its refusals into command failures.
func reportingStoreErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as UserStoreError {
        throw CommandFailure(error.description)
    }
}

/// Checks a user name before anything is asked or opened.
func checkUserName(_ name: String) throws {
    try reportingStoreErrors { try UserStore.checkUserName(name) }
}
