import ArgumentParser
import Glibc
import SwiftGateUsers

/// `swiftgate users`: manages the users of an application's user store.
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the users of a SwiftGateUsers database.",
        discussion: """
            New passwords are read from the terminal without echo (asked twice), or as the first \
            line of standard input when it is not a terminal.
            """,
        subcommands: [
            UsersAdd.self, UsersPasswd.self, UsersList.self, UsersDelete.self,
            UsersAddGroup.self, UsersRemoveGroup.self, UsersActivate.self, UsersDeactivate.self,
        ]
    )
}

/// The `--db` option every `users` subcommand takes, and opening the store.
struct UserDatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("The user database (SQLite file).", valueName: "path"))
    var path: String

    /// The PBKDF2 iteration count of new hashes; tests lower it for speed.
    @Option(help: .hidden)
    var iterations: Int = PasswordHash.defaultIterations

    func validate() throws {
        guard (1...PasswordHash.maximumIterations).contains(iterations) else {
            throw ValidationError("--iterations must be 1 to \(PasswordHash.maximumIterations)")
        }
    }

    /// Opens the store.
    ///
    /// - Parameter create: Whether a missing file is made (only `add`).
    /// - Returns: The store.
    /// - Throws: ``CommandFailure`` for a missing file when `create` is
    ///   false, or one that cannot be opened.
    func open(create: Bool = false) throws -> UserStore {
        if !create, access(path, F_OK) != 0 {
            throw CommandFailure("no user database at \(path); create one with `swiftgate users add`")
        }
        do {
            return try UserStore(path: path, iterations: iterations)
        } catch {
            throw CommandFailure("cannot open the user database at \(path): \(error)")
        }
    }
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
