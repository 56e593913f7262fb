import GRDB

/// The tables of a user store, made by a GRDB migrator.
///
/// `users` (a case-sensitive unique `username`, the password hash, the
/// active flag and two optional dates), `groups` (a unique `name`) and
/// `memberships` (a user in a group; removed with either).
enum UserStoreSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // IF NOT EXISTS: two processes opening a new file at once may
            // both get here; the loser's migration must not fail.
            try db.create(table: "users", options: .ifNotExists) { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("username", .text).notNull().unique()
                t.column("password", .text).notNull()
                t.column("is_active", .boolean).notNull().defaults(to: true)
                t.column("created_at", .datetime)
                t.column("last_login", .datetime)
            }
            try db.create(table: "groups", options: .ifNotExists) { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique()
            }
            try db.create(table: "memberships", options: .ifNotExists) { t in
                t.column("user_id", .integer).notNull().references("users", onDelete: .cascade)
                t.column("group_id", .integer).notNull().references("groups", onDelete: .cascade)
                t.primaryKey(["user_id", "group_id"])
            }
        }
        return migrator
    }()

    /// Brings the database up to date; a migration another process ran at
    /// the same moment counts as done.
    static func migrate(_ queue: DatabaseQueue) throws {
        do {
            try migrator.migrate(queue)
        } catch {
            guard try queue.read(migrator.hasCompletedMigrations) else { throw error }
        }
    }
}
