import GRDB

extension UserStore {
    /// Puts a user in a group, making the group if it is new.
    ///
    /// - Parameters:
    ///   - user: The user.
    ///   - group: The group name: not empty, no control character or `,`.
    /// - Returns: false when the user was in the group already.
    /// - Throws: ``UserStoreError`` for a bad group name or an unknown
    ///   user; a GRDB `DatabaseError` when the database fails.
    @discardableResult
    public func addGroup(user: String, group: String) throws -> Bool {
        try NameRules.checkGroupName(group)
        if let postgres { return try postgres.addGroup(user: user, group: group) }
        return try write { db in
            let id = try Self.userID(db, user)
            try Self.join(db, userID: id, group: group)
            return db.changesCount > 0
        }
    }

    /// Takes a user out of a group; the group stays.
    ///
    /// - Parameters:
    ///   - user: The user.
    ///   - group: The group name.
    /// - Returns: false when the user was not in the group.
    /// - Throws: ``UserStoreError/userNotFound(_:)``; a GRDB `DatabaseError`
    ///   when the database fails.
    @discardableResult
    public func removeGroup(user: String, group: String) throws -> Bool {
        if let postgres { return try postgres.removeGroup(user: user, group: group) }
        return try write { db in
            let id = try Self.userID(db, user)
            try db.execute(
                sql: #"""
                    DELETE FROM memberships
                    WHERE user_id = ? AND group_id IN (SELECT id FROM "groups" WHERE name = ?)
                    """#,
                arguments: [id, group]
            )
            return db.changesCount > 0
        }
    }

    /// The groups a user belongs to, sorted; none for an unknown user.
    ///
    /// - Parameter user: The user (matched exactly).
    /// - Returns: The group names.
    /// - Throws: A GRDB `DatabaseError` when the database fails.
    public func groups(of user: String) throws -> [String] {
        if let postgres { return try postgres.groups(of: user) }
        return try read { db in
            try String.fetchAll(
                db,
                sql: #"""
                    SELECT g.name FROM "groups" g
                    JOIN memberships m ON m.group_id = g.id
                    JOIN users u ON u.id = m.user_id
                    WHERE u.username = ?
                    ORDER BY g.name
                    """#,
                arguments: [user]
            )
        }
    }
}
