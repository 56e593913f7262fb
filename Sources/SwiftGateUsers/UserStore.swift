import Foundation
import GRDB
import Logging
import Synchronization

/// An application's users, their passwords and their groups, in an SQLite
/// file or a PostgreSQL database (``init(url:iterations:readOnly:fileAccess:logger:)``
/// with a `postgres://` URL).
///
/// Both keep the same tables and the same hashes; a site whose hosts must
/// all check passwords against one store points them at one PostgreSQL
/// database. Its connections come from the process's ``PostgresPool`` for
/// the URL, opened at the first statement (never in a process that only
/// forks workers); a database that cannot be reached throws
/// ``UserStoreError/unavailable(_:)``.
///
/// Passwords are kept as Django-compatible ``PasswordHash``es. Several
/// processes (Apache children, daemon processes, the `swiftgate users`
/// command) may use one file at once: each write is one transaction, and a
/// process finding the file locked waits up to five seconds.
///
/// A file the store creates is mode 0600 (or 0640 with a group, see
/// ``UserStoreFileAccess``), made before SQLite opens it and never through
/// a symbolic link to nothing.
///
/// User names match exactly and case-sensitively. Every method blocks the
/// calling thread for the database and, where a password is involved, for
/// the key derivation (about a second at the default iteration count):
/// call them from a thread that may block.
public final class UserStore: Sendable {
    /// The database file, or the PostgreSQL URL without its password.
    public let path: String
    /// The PBKDF2 iteration count of new hashes.
    public let iterations: Int
    /// Whether the store was opened without write access.
    public let isReadOnly: Bool
    let backend: Backend
    let logger: Logger
    /// The iteration count an unknown user costs, and the database state it
    /// was counted in (see ``unknownUserIterations()``).
    let unknownUserCost = Mutex<UnknownUserCost?>(nil)
    /// Set once a hash upgrade failed for a reason other than a lock (a
    /// read-only file or directory): later logins do not pay for a new
    /// hash that cannot be stored.
    let upgradesFailed = Atomic<Bool>(false)

    /// How long a write waits for another process's lock, in seconds.
    static let busyTimeout: Double = 5

    /// Where the tables are.
    enum Backend: Sendable {
        case sqlite(DatabaseQueue)
        case postgres(PostgresUserTables)
    }

    /// The SQLite database; only for code on the SQLite path.
    var queue: DatabaseQueue {
        guard case .sqlite(let queue) = backend else { preconditionFailure("not an SQLite store") }
        return queue
    }

    /// The PostgreSQL tables, or nil for an SQLite store.
    var postgres: PostgresUserTables? {
        if case .postgres(let tables) = backend { return tables }
        return nil
    }

    /// Whether the store is in PostgreSQL.
    public var isPostgres: Bool { postgres != nil }

    /// Opens a user store from a setting: a `postgres://` or
    /// `postgresql://` URL (see ``PostgresURL``), else an SQLite path.
    ///
    /// A PostgreSQL store connects at its first statement, not here, and
    /// makes its tables then unless `readOnly`; `fileAccess` applies to a
    /// new SQLite file only.
    ///
    /// - Parameters:
    ///   - url: The URL or path.
    ///   - iterations: As for ``init(path:iterations:readOnly:fileAccess:logger:)``.
    ///   - readOnly: Never write (no tables made, no hash upgraded).
    ///   - fileAccess: Who may read a new SQLite file.
    ///   - logger: Where hash upgrades are told.
    /// - Throws: As ``init(path:iterations:readOnly:fileAccess:logger:)``
    ///   for a path; ``UserStoreError/driverMissing(_:)`` when a URL needs
    ///   libpq and it cannot be loaded.
    public convenience init(
        url: String,
        iterations: Int = PasswordHash.defaultIterations,
        readOnly: Bool = false,
        fileAccess: UserStoreFileAccess = .ownerOnly,
        logger: Logger = Logger(label: "SwiftGateUsers")
    ) throws {
        if let postgresURL = PostgresURL(url) {
            precondition((1...PasswordHash.maximumIterations).contains(iterations), "iteration count out of range")
            _ = try LibPQ.get()
            self.init(
                backend: .postgres(PostgresUserTables(pool: .shared(postgresURL), readOnly: readOnly)),
                path: postgresURL.redacted,
                iterations: iterations,
                readOnly: readOnly,
                logger: logger
            )
        } else {
            try self.init(path: url, iterations: iterations, readOnly: readOnly, fileAccess: fileAccess, logger: logger)
        }
    }

    private init(backend: Backend, path: String, iterations: Int, readOnly: Bool, logger: Logger) {
        self.backend = backend
        self.path = path
        self.iterations = iterations
        self.isReadOnly = readOnly
        self.logger = logger
    }

    /// Opens a user store, creating the file and its tables if needed.
    ///
    /// - Parameters:
    ///   - path: The SQLite file.
    ///   - iterations: The PBKDF2 iteration count for new hashes, 1 to
    ///     ``PasswordHash/maximumIterations``; Django's
    ///     ``PasswordHash/defaultIterations`` unless a test needs speed.
    ///     A stored hash with fewer is replaced after a right password.
    ///   - readOnly: Open without write access (a process that only checks
    ///     passwords); the file must exist and have its tables.
    ///   - fileAccess: Who may read the file if it is created here: mode
    ///     0600, or 0640 with a group.
    ///   - logger: Where hash upgrades (and why one was not stored) are
    ///     told.
    /// - Throws: ``UserStoreError/symbolicLink(_:)`` or
    ///   ``UserStoreError/cannotCreate(_:reason:)`` when a missing file
    ///   cannot be made safely; a GRDB `DatabaseError` when the file cannot
    ///   be opened or its tables made.
    public convenience init(
        path: String,
        iterations: Int = PasswordHash.defaultIterations,
        readOnly: Bool = false,
        fileAccess: UserStoreFileAccess = .ownerOnly,
        logger: Logger = Logger(label: "SwiftGateUsers")
    ) throws {
        precondition((1...PasswordHash.maximumIterations).contains(iterations), "iteration count out of range")
        if !readOnly { _ = try UserStoreFile.createIfMissing(path, access: fileAccess) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.readonly = readOnly
        configuration.foreignKeysEnabled = true
        configuration.label = "SwiftGateUsers"
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        if !readOnly { try UserStoreSchema.migrate(queue) }
        self.init(backend: .sqlite(queue), path: path, iterations: iterations, readOnly: readOnly, logger: logger)
    }

    // MARK: Users

    /// Adds a user.
    ///
    /// - Parameters:
    ///   - name: The user name: not empty, no control character, `:` or `,`.
    ///   - password: The password; not empty.
    ///   - active: Whether the account may log in.
    ///   - groups: Groups to put the user in.
    /// - Throws: ``UserStoreError`` for a bad name or password or an
    ///   existing user; a GRDB `DatabaseError` when the database fails.
    public func createUser(_ name: String, password: String, active: Bool = true, groups: [String] = []) throws {
        try NameRules.checkUserName(name)
        for group in groups { try NameRules.checkGroupName(group) }
        guard !password.isEmpty else { throw UserStoreError.emptyPassword }
        let hash = try PasswordHash(password: password, iterations: iterations).encoded
        if let postgres {
            return try postgres.createUser(name, hash: hash, active: active, groups: groups)
        }
        do {
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO users (username, password, is_active, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [name, hash, active, Date()]
                )
                let id = db.lastInsertedRowID
                for group in groups { try Self.join(db, userID: id, group: group) }
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw UserStoreError.userExists(name)
        }
    }

    /// Replaces a user's password.
    ///
    /// - Parameters:
    ///   - name: The user.
    ///   - password: The new password; not empty.
    /// - Throws: ``UserStoreError`` for an empty password or an unknown
    ///   user; a GRDB `DatabaseError` when the database fails.
    public func setPassword(_ name: String, password: String) throws {
        guard !password.isEmpty else { throw UserStoreError.emptyPassword }
        let hash = try PasswordHash(password: password, iterations: iterations).encoded
        if let postgres {
            return try postgres.changeUser(name, sql: "UPDATE users SET password = $1 WHERE username = $2", [hash])
        }
        try updateUser(name, sql: "UPDATE users SET password = ? WHERE username = ?", value: hash)
    }

    /// Lets a user log in, or stops them.
    ///
    /// - Parameters:
    ///   - name: The user.
    ///   - active: Whether the account may log in.
    /// - Throws: ``UserStoreError/userNotFound(_:)``; a GRDB `DatabaseError`
    ///   when the database fails.
    public func setActive(_ name: String, active: Bool) throws {
        if let postgres {
            return try postgres.changeUser(
                name,
                sql: "UPDATE users SET is_active = $1 WHERE username = $2",
                [active ? "t" : "f"]
            )
        }
        try updateUser(name, sql: "UPDATE users SET is_active = ? WHERE username = ?", value: active)
    }

    /// Notes that a user just logged in (for sites with sessions; a
    /// password check writes only to replace a weak hash).
    ///
    /// - Parameter name: The user.
    /// - Throws: ``UserStoreError/userNotFound(_:)``; a GRDB `DatabaseError`
    ///   when the database fails.
    public func recordLogin(_ name: String) throws {
        if let postgres {
            return try postgres.changeUser(name, sql: "UPDATE users SET last_login = now() WHERE username = $1", [])
        }
        try updateUser(name, sql: "UPDATE users SET last_login = ? WHERE username = ?", value: Date())
    }

    /// Removes a user and their memberships.
    ///
    /// - Parameter name: The user.
    /// - Throws: ``UserStoreError/userNotFound(_:)``; a GRDB `DatabaseError`
    ///   when the database fails.
    public func deleteUser(_ name: String) throws {
        if let postgres { return try postgres.changeUser(name, sql: "DELETE FROM users WHERE username = $1", []) }
        try queue.write { db in
            try db.execute(sql: "DELETE FROM users WHERE username = ?", arguments: [name])
            if db.changesCount == 0 { throw UserStoreError.userNotFound(name) }
        }
    }

    /// Every user, sorted by name, with their groups.
    ///
    /// - Returns: The users.
    /// - Throws: A GRDB `DatabaseError` when the database fails.
    public func users() throws -> [UserInfo] {
        if let postgres { return try postgres.users() }
        return try queue.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT u.username, u.is_active, u.created_at, u.last_login, g.name AS group_name
                    FROM users u
                    LEFT JOIN memberships m ON m.user_id = u.id
                    LEFT JOIN "groups" g ON g.id = m.group_id
                    ORDER BY u.username, g.name
                    """
            )
            var users: [UserInfo] = []
            for row in rows {
                let name: String = row["username"]
                if users.last?.name != name {
                    users.append(
                        UserInfo(
                            name: name,
                            isActive: row["is_active"],
                            groups: [],
                            created: row["created_at"],
                            lastLogin: row["last_login"]
                        )
                    )
                }
                if let group: String = row["group_name"] { users[users.count - 1].groups.append(group) }
            }
            return users
        }
    }

    /// One user, or nil when there is none of that name.
    ///
    /// - Parameter name: The user.
    /// - Returns: The user's description.
    /// - Throws: A GRDB `DatabaseError` when the database fails.
    public func user(_ name: String) throws -> UserInfo? {
        try users().first { $0.name == name }
    }

    // MARK: Names

    /// Checks a user name without touching the database: not empty, no
    /// control character, `:` or `,`.
    ///
    /// - Parameter name: The name.
    /// - Throws: ``UserStoreError/invalidUserName(_:reason:)``.
    public static func checkUserName(_ name: String) throws(UserStoreError) {
        try NameRules.checkUserName(name)
    }

    /// Checks a group name without touching the database: not empty, no
    /// control character or `,`.
    ///
    /// - Parameter name: The name.
    /// - Throws: ``UserStoreError/invalidGroupName(_:reason:)``.
    public static func checkGroupName(_ name: String) throws(UserStoreError) {
        try NameRules.checkGroupName(name)
    }

    // MARK: Helpers

    private func updateUser(_ name: String, sql: String, value: some DatabaseValueConvertible & Sendable) throws {
        try queue.write { db in
            try db.execute(sql: sql, arguments: [value, name])
            if db.changesCount == 0 { throw UserStoreError.userNotFound(name) }
        }
    }

    /// The id of a user, or ``UserStoreError/userNotFound(_:)``.
    static func userID(_ db: Database, _ name: String) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE username = ?", arguments: [name]) else {
            throw UserStoreError.userNotFound(name)
        }
        return id
    }

    /// Puts a user in a group, making the group if needed.
    static func join(_ db: Database, userID: Int64, group: String) throws {
        try db.execute(sql: #"INSERT INTO "groups" (name) VALUES (?) ON CONFLICT(name) DO NOTHING"#, arguments: [group])
        try db.execute(
            sql: #"""
                INSERT INTO memberships (user_id, group_id)
                SELECT ?, id FROM "groups" WHERE name = ?
                ON CONFLICT DO NOTHING
                """#,
            arguments: [userID, group]
        )
    }

    /// Runs `body` in a write transaction.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.write(body)
    }

    /// Runs `body` with read access.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.read(body)
    }
}

extension UserStore {
    /// Reaches the database once: for PostgreSQL, takes a connection of
    /// the pool (making the tables unless read-only) and runs `SELECT 1`;
    /// for SQLite, reads the schema version.
    ///
    /// - Throws: ``UserStoreError/unavailable(_:)`` when a PostgreSQL
    ///   database cannot be reached; a database error otherwise.
    public func checkAvailable() throws {
        if let postgres {
            try postgres.run(retry: true) { try $0.execute("SELECT 1") }
        } else {
            _ = try queue.read { try Int.fetchOne($0, sql: "PRAGMA schema_version") }
        }
    }
}
