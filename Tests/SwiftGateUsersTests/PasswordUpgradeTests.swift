import Foundation
import SwiftGateUsers
import Testing

/// Weak stored hashes replaced after a granted check, and the cost of an
/// unknown user following the stored hashes.
@Suite struct PasswordUpgradeTests {
    /// The store's count for new hashes in these tests; stored hashes are
    /// made weaker or stronger than it.
    private static let iterations = 2000
    /// A salt of Django's full length, so only the count makes a hash weak.
    private static let salt = "Xk3pQ9zLmN2vR7tB1cD4eF"

    private func store(_ database: TemporaryDatabase, readOnly: Bool = false) throws -> UserStore {
        try UserStore(path: database.path, iterations: Self.iterations, readOnly: readOnly)
    }

    /// A store with ann, whose stored hash Python made from `password`.
    private func storeWithAnn(
        _ database: TemporaryDatabase,
        password: String = "right password",
        salt: String = salt,
        iterations: Int,
        active: Bool = true
    ) throws -> (UserStore, String) {
        let store = try store(database)
        try store.createUser("ann", password: "placeholder", active: active)
        let encoded = try pythonHash(password: password, salt: salt, iterations: iterations)
        try overwriteHash(of: "ann", with: encoded, in: database.path)
        return (store, encoded)
    }

    @Test func aHashWithFewerIterationsIsReplacedAfterAGrantedCheck() throws {
        let database = try TemporaryDatabase()
        let (store, weak) = try storeWithAnn(database, iterations: 1000)
        #expect(try store.verify(user: "ann", password: "wrong password") == .denied)
        #expect(try storedHash(of: "ann", in: database.path) == weak)
        #expect(try store.verify(user: "ann", password: "right password") == .granted("ann"))
        let upgraded = try storedHash(of: "ann", in: database.path)
        let parsed = try #require(PasswordHash(parsing: upgraded))
        #expect(parsed.iterations == Self.iterations)
        #expect(parsed.salt != Self.salt && parsed.salt.count == PasswordHash.saltLength)
        // Python's hashlib makes the same text: a Django hash of the same password.
        #expect(try pythonHash(password: "right password", salt: parsed.salt, iterations: Self.iterations) == upgraded)
        #expect(try store.verify(user: "ann", password: "right password") == .granted("ann"))
        #expect(try storedHash(of: "ann", in: database.path) == upgraded)
    }

    @Test func aShortSaltIsReplacedAsDjangoDoes() throws {
        let database = try TemporaryDatabase()
        let (store, _) = try storeWithAnn(database, salt: "shortSalt", iterations: Self.iterations)
        #expect(try store.verify(user: "ann", password: "right password") == .granted("ann"))
        let parsed = try #require(PasswordHash(parsing: try storedHash(of: "ann", in: database.path)))
        #expect(parsed.salt.count == PasswordHash.saltLength && parsed.iterations == Self.iterations)
    }

    @Test func aHashWithMoreIterationsIsKept() throws {
        let database = try TemporaryDatabase()
        let (store, strong) = try storeWithAnn(database, iterations: 3000)
        #expect(try store.verify(user: "ann", password: "right password") == .granted("ann"))
        #expect(try storedHash(of: "ann", in: database.path) == strong)
    }

    @Test func anInactiveUsersHashIsKept() throws {
        let database = try TemporaryDatabase()
        let (store, weak) = try storeWithAnn(database, iterations: 1000, active: false)
        #expect(try store.verify(user: "ann", password: "right password") == .inactive)
        #expect(try storedHash(of: "ann", in: database.path) == weak)
    }

    @Test func aReadOnlyStoreGrantsAndKeepsTheHash() throws {
        let database = try TemporaryDatabase()
        let (_, weak) = try storeWithAnn(database, iterations: 1000)
        let reader = try store(database, readOnly: true)
        #expect(try reader.verify(user: "ann", password: "right password") == .granted("ann"))
        #expect(try storedHash(of: "ann", in: database.path) == weak)
    }

    @Test func aLockedDatabaseGrantsAndKeepsTheHashUntilTheNextLogin() throws {
        let database = try TemporaryDatabase()
        let (store, weak) = try storeWithAnn(database, iterations: 1000)
        // Another process holds the write lock (readers go on) until its
        // standard input closes.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
                + "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.read(); c.execute('COMMIT')",
            database.path,
        ]
        let input = Pipe()
        let output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        let said = output.fileHandleForReading.availableData
        try #require(String(decoding: said, as: UTF8.self).hasPrefix("locked"))
        let started = Date()
        #expect(try store.verify(user: "ann", password: "right password") == .granted("ann"))
        #expect(Date().timeIntervalSince(started) < 4)  // not the 5 s busy timeout of other writes
        #expect(try storedHash(of: "ann", in: database.path) == weak)
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        #expect(try store.verify(user: "ann", password: "right password") == .granted("ann"))
        #expect(try PasswordHash(parsing: storedHash(of: "ann", in: database.path))?.iterations == Self.iterations)
    }

    @Test func anUnknownUserCostsTheMostCommonStoredCount() throws {
        let database = try TemporaryDatabase()
        let store = try store(database)
        // Nothing stored: the store's own count.
        #expect(try store.unknownUserIterations() == Self.iterations)
        for name in ["a", "b", "c", "d", "e"] { try store.createUser(name, password: "secret") }
        #expect(try store.unknownUserIterations() == Self.iterations)
        // Another process stores older hashes: three at 1500, one at 700.
        for name in ["a", "b", "c"] {
            try overwriteHash(
                of: name,
                with: try pythonHash(password: "secret", salt: Self.salt, iterations: 1500),
                in: database.path
            )
        }
        try overwriteHash(
            of: "d",
            with: try pythonHash(password: "secret", salt: Self.salt, iterations: 700),
            in: database.path
        )
        // Unreadable counts do not count.
        try overwriteHash(of: "e", with: "pbkdf2_sha256$12x$salt$key", in: database.path)
        #expect(try store.unknownUserIterations() == 1500)
        // This store's own writes count too: 1500 twice, 2000 once.
        try store.setPassword("a", password: "secret")
        #expect(try store.unknownUserIterations() == 1500)
        // 1500 and 2000 twice each: a tie costs the higher count.
        try store.setPassword("d", password: "secret")
        #expect(try store.unknownUserIterations() == 2000)
        // A granted check that upgrades b leaves c alone at 1500.
        #expect(try store.verify(user: "b", password: "secret") == .granted("b"))
        for name in ["a", "b", "d"] { try store.deleteUser(name) }
        #expect(try store.unknownUserIterations() == 1500)
        // Only an unreadable hash left: the store's own count again.
        try store.deleteUser("c")
        #expect(try store.unknownUserIterations() == Self.iterations)
        try overwriteHash(
            of: "e",
            with: try pythonHash(password: "secret", salt: Self.salt, iterations: 700),
            in: database.path
        )
        #expect(try store.unknownUserIterations() == 700)
        #expect(try store.verify(user: "nobody", password: "secret") == .userNotFound)
    }
}
