import GRDB
import Logging
import Synchronization

extension UserStore {
    /// The iteration count an unknown user costs, with the database state
    /// it was counted in: SQLite's `data_version` (changed by other
    /// connections' commits) and this connection's total changes.
    struct UnknownUserCost: Equatable {
        var dataVersion: Int
        var ownChanges: Int
        var iterations: Int
    }

    /// How long a hash upgrade waits for another process's lock, in
    /// milliseconds: it is optional work on a login, which must not wait
    /// the full ``busyTimeout`` for it.
    static let upgradeBusyMilliseconds = 200

    /// Checks a user's password.
    ///
    /// An unknown user, or one whose stored hash cannot be read, costs a
    /// key derivation at the iteration count most stored hashes have (see
    /// ``unknownUserIterations()``), so that response times do not tell
    /// which names exist. An inactive account answers
    /// ``VerifyResult/inactive`` only after its password matched, so
    /// inactive accounts cannot be probed either.
    ///
    /// After a granted check, a stored hash weaker than the store's new
    /// ones (``PasswordHash/isWeaker(than:)``: fewer iterations, a short
    /// salt) is replaced by a new hash of the same password, as Django
    /// does on login: that check costs a second key derivation, once, and
    /// the password is not checked a second time. The write is
    /// best-effort: a read-only store, file or directory, or a database
    /// locked for longer than ``upgradeBusyMilliseconds``, leaves the old
    /// hash in place with a log line, and the check is still granted. After
    /// a failure other than a lock, the store stops trying (one wasted
    /// derivation per process at most).
    ///
    /// - Parameters:
    ///   - name: The name the client sent (matched exactly).
    ///   - password: The password the client sent.
    /// - Returns: The answer; `.granted` carries the name as stored.
    /// - Throws: A GRDB `DatabaseError` when the database fails.
    public func verify(user name: String, password: String) throws -> VerifyResult {
        // The unknown-user count is looked up (and, after a change,
        // counted again) for every name, so that it costs known and
        // unknown names alike.
        let (found, unknownIterations) = try lookUp(name)
        guard let found else {
            _ = Self.dummyHash(iterations: unknownIterations).matches(password)
            return .userNotFound
        }
        guard let hash = PasswordHash(parsing: found.password) else {
            _ = Self.dummyHash(iterations: unknownIterations).matches(password)
            return .denied
        }
        guard hash.matches(password) else { return .denied }
        guard found.isActive else { return .inactive }
        if hash.isWeaker(than: iterations) {
            upgrade(user: found.username, id: found.id, from: found.password, weakHash: hash, password: password)
        }
        return .granted(found.username)
    }

    /// The user a password check is about, if any, and what an unknown
    /// user's check costs.
    private func lookUp(_ name: String) throws -> (StoredUser?, Int) {
        if let postgres {
            // PostgreSQL text holds no NUL: such a name is no user's.
            if name.utf8.contains(0) {
                return (nil, try postgres.lookup("", defaultIterations: iterations).1)
            }
            return try postgres.lookup(name, defaultIterations: iterations)
        }
        return try queue.read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT id, username, password, is_active FROM users WHERE username = ?",
                arguments: [name]
            )
            let found = row.map {
                StoredUser(
                    id: $0["id"],
                    username: $0["username"],
                    password: $0["password"],
                    isActive: $0["is_active"]
                )
            }
            return (found, try unknownUserIterations(db))
        }
    }

    /// The PBKDF2 iteration count an unknown user's check costs: the count
    /// most stored hashes have (the higher one on a tie), or the store's
    /// ``iterations`` when no stored hash has a readable count.
    ///
    /// Counted with one grouping query over the table, and counted again
    /// only after the table may have changed: another process committed
    /// (SQLite's `data_version`) or this store wrote.
    ///
    /// - Returns: The iteration count.
    /// - Throws: A GRDB `DatabaseError` when the database fails.
    package func unknownUserIterations() throws -> Int {
        if let postgres {
            return try postgres.pool.withConnection(retry: true) {
                try postgres.unknownUserIterations($0, defaultIterations: iterations)
            }
        }
        return try queue.read { try unknownUserIterations($0) }
    }

    private func unknownUserIterations(_ db: Database) throws -> Int {
        let dataVersion = try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0
        let ownChanges = db.totalChangesCount
        if let cached = unknownUserCost.withLock({ $0 }), cached.dataVersion == dataVersion,
            cached.ownChanges == ownChanges
        {
            return cached.iterations
        }
        let counted = try Self.mostCommonIterations(db) ?? iterations
        unknownUserCost.withLock {
            $0 = UnknownUserCost(dataVersion: dataVersion, ownChanges: ownChanges, iterations: counted)
        }
        return counted
    }

    /// The iteration count of most `pbkdf2_sha256` hashes in the table; nil
    /// when none has a count of plain digits in range.
    static func mostCommonIterations(_ db: Database) throws -> Int? {
        let counted = try Int.fetchOne(
            db,
            sql: """
                SELECT CAST(digits AS INTEGER) AS n FROM (
                    SELECT substr(rest, 1, instr(rest, '$') - 1) AS digits FROM (
                        SELECT substr(password, 15) AS rest FROM users
                        WHERE substr(password, 1, 14) = 'pbkdf2_sha256$'
                    )
                )
                WHERE length(digits) BETWEEN 1 AND 8 AND digits NOT GLOB '*[^0-9]*'
                GROUP BY n
                ORDER BY count(*) DESC, n DESC
                LIMIT 1
                """
        )
        guard let counted, (1...PasswordHash.maximumIterations).contains(counted) else { return nil }
        return counted
    }

    /// A hash that costs a check at `iterations` and matches nothing: no
    /// password derives an all-zero key.
    static func dummyHash(iterations: Int) -> PasswordHash {
        PasswordHash(
            iterations: iterations,
            salt: "swiftgateunknownuser00",
            key: [UInt8](repeating: 0, count: PasswordHash.keyLength)
        )
    }

    /// Replaces a weak stored hash with a new one of the password just
    /// checked, if the store can write; never throws.
    private func upgrade(user: String, id: Int64, from stored: String, weakHash: PasswordHash, password: String) {
        let metadata: Logger.Metadata = ["user": "\(user)", "path": "\(path)"]
        guard !isReadOnly else {
            logger.debug("weak password hash kept: the store is read-only", metadata: metadata)
            return
        }
        guard !upgradesFailed.load(ordering: .relaxed) else { return }
        let count = max(iterations, weakHash.iterations)
        let fresh: PasswordHash
        do {
            fresh = try PasswordHash(password: password, iterations: count)
        } catch {
            logger.info("weak password hash kept: \(error)", metadata: metadata)
            return
        }
        if let postgres {
            do {
                let replaced = try postgres.replaceHash(
                    id: id,
                    stored: stored,
                    fresh: fresh.encoded,
                    lockMilliseconds: Self.upgradeBusyMilliseconds
                )
                logger.info(
                    replaced
                        ? "password hash made again: \(count) iterations and a new salt (was \(weakHash.iterations))"
                        : "weak password hash not upgraded: it changed meanwhile",
                    metadata: metadata
                )
            } catch let error as PostgresQueryError where error.sqlState == "55P03" || error.sqlState == "25006" {
                // lock_not_available, read_only_sql_transaction
                logger.info("weak password hash kept for now: \(error)", metadata: metadata)
            } catch {
                logger.info("weak password hash kept: \(error)", metadata: metadata)
            }
            return
        }
        do {
            let replaced = try queue.inDatabase { db in
                try db.execute(sql: "PRAGMA busy_timeout = \(Self.upgradeBusyMilliseconds)")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Int(Self.busyTimeout * 1000))") }
                var changed = false
                try db.inTransaction(.immediate) {
                    // Only the hash that was checked: a password changed
                    // meanwhile stays changed.
                    try db.execute(
                        sql: "UPDATE users SET password = ? WHERE id = ? AND password = ?",
                        arguments: [fresh.encoded, id, stored]
                    )
                    changed = db.changesCount > 0
                    return .commit
                }
                return changed
            }
            if replaced {
                logger.info(
                    "password hash made again: \(count) iterations and a new salt (was \(weakHash.iterations))",
                    metadata: metadata
                )
            } else {
                logger.debug("weak password hash not upgraded: it changed meanwhile", metadata: metadata)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
        {
            logger.info("weak password hash kept for now: the database is locked", metadata: metadata)
        } catch {
            upgradesFailed.store(true, ordering: .relaxed)
            logger.info(
                "weak password hash kept; no more upgrades in this process: \(error)",
                metadata: metadata
            )
        }
    }
}
