import Foundation
import SwiftGateUsers
import Testing

/// A fresh database path in a directory of its own, removed afterwards.
final class TemporaryDatabase {
    let directory: URL
    var path: String { directory.appendingPathComponent("users.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-users-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// Runs Python's hashlib to make a Django hash independently of the Swift
/// code under test.
func pythonHash(password: String, salt: String, iterations: Int) throws -> String {
    let script = """
        import base64, hashlib, sys
        key = hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3]))
        print("pbkdf2_sha256$%s$%s$%s" % (sys.argv[3], sys.argv[2], base64.b64encode(key).decode()))
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, password, salt, String(iterations)]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite struct PasswordHashTests {
    @Test(arguments: [
        ("secret", "abc123"),
        ("pässwörd ✓", "Xk3pQ9zLmN2vR7tB1cD4eF"),
        ("with$dollar and spaces", "salt"),
    ])
    func pythonMadeHashesVerify(password: String, salt: String) throws {
        let encoded = try pythonHash(password: password, salt: salt, iterations: 1000)
        let hash = try #require(PasswordHash(parsing: encoded))
        #expect(hash.iterations == 1000)
        #expect(hash.salt == salt)
        #expect(hash.matches(password))
        #expect(!hash.matches(password + "x"))
        #expect(!hash.matches(""))
        // The same inputs give the same text from Swift.
        #expect(try PasswordHash(password: password, salt: salt, iterations: 1000).encoded == encoded)
    }

    @Test func djangoIterationCountVector() throws {
        // Made once with Python's hashlib.pbkdf2_hmac at 870000 iterations.
        let encoded = "pbkdf2_sha256$870000$Xk3pQ9zLmN2vR7tB1cD4eF$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs="
        let hash = try #require(PasswordHash(parsing: encoded))
        #expect(hash.matches("correct horse battery"))
        #expect(!hash.matches("correct horse battery "))
    }

    @Test func newHashesRoundTrip() throws {
        let hash = try PasswordHash(password: "hunter22", iterations: 500)
        #expect(hash.salt.count == PasswordHash.saltLength)
        #expect(hash.salt.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        let parsed = try #require(PasswordHash(parsing: hash.encoded))
        #expect(parsed == hash)
        #expect(parsed.matches("hunter22"))
        #expect(!parsed.matches("hunter23"))
        #expect(try PasswordHash(password: "hunter22", iterations: 500).salt != hash.salt)
    }

    @Test(arguments: [
        "",
        "pbkdf2_sha256",
        "pbkdf2_sha1$1000$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
        "pbkdf2_sha256$abc$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "pbkdf2_sha256$+1000$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "pbkdf2_sha256$-5$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "pbkdf2_sha256$0$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "pbkdf2_sha256$99999999$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "pbkdf2_sha256$999999999999999999999$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "pbkdf2_sha256$1000$$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=",
        "pbkdf2_sha256$1000$salt$not base64!",
        "pbkdf2_sha256$1000$salt$c2hvcnQ=",
        "pbkdf2_sha256$1000$salt$",
        "pbkdf2_sha256$1000$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs=$extra",
        "!unusable-password",
        // Base64 that decodes, but not as Django writes it (found by fuzzing):
        // extra padding, and unused low bits set in the last symbol.
        "pbkdf2_sha256$1000$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZs==",
        "pbkdf2_sha256$1000$salt$i0RHkvm8mEjV4ynCbkgbueMHsujw9PkH1q1hMuyUmZt=",
    ])
    func malformedHashesAreRefused(text: String) {
        #expect(PasswordHash(parsing: text) == nil)
    }

    @Test func aSaltStartingWithACombiningMarkRoundTrips() throws {
        // "$" and a combining mark make one Character: the stored text must
        // still split at the "$" (found by fuzzing).
        let hash = try PasswordHash(password: "x", salt: "\u{301}ab", iterations: 1000)
        #expect(PasswordHash(parsing: hash.encoded) == hash)
    }
}

@Suite struct UserStoreTests {
    private static let iterations = 100

    @Test func verifyAnswersEachOutcome() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("Ann", password: "secret-1")
        try store.createUser("bob", password: "secret-2", active: false)
        #expect(try store.verify(user: "Ann", password: "secret-1") == .granted("Ann"))
        #expect(try store.verify(user: "Ann", password: "secret-2") == .denied)
        #expect(try store.verify(user: "ann", password: "secret-1") == .userNotFound)
        #expect(try store.verify(user: "nobody", password: "secret-1") == .userNotFound)
        #expect(try store.verify(user: "bob", password: "secret-2") == .inactive)
        // An inactive account does not tell a wrong password apart.
        #expect(try store.verify(user: "bob", password: "wrong") == .denied)
        try store.setActive("bob", active: true)
        #expect(try store.verify(user: "bob", password: "secret-2") == .granted("bob"))
    }

    @Test func setPasswordReplacesTheHash() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "first-one")
        try store.setPassword("ann", password: "second-one")
        #expect(try store.verify(user: "ann", password: "first-one") == .denied)
        #expect(try store.verify(user: "ann", password: "second-one") == .granted("ann"))
        #expect(throws: UserStoreError.userNotFound("zed")) { try store.setPassword("zed", password: "x") }
        #expect(throws: UserStoreError.emptyPassword) { try store.setPassword("ann", password: "") }
    }

    @Test func aDuplicateUserIsRefused() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "secret")
        #expect(throws: UserStoreError.userExists("ann")) { try store.createUser("ann", password: "other") }
        #expect(UserStoreError.userExists("ann").description == "user 'ann' already exists")
        // Names are case-sensitive: Ann is another user.
        try store.createUser("Ann", password: "secret")
        #expect(try store.users().map(\.name) == ["Ann", "ann"])
    }

    @Test(arguments: ["", "a:b", "a,b", "tab\there", "new\nline", "nul\u{0}", "del\u{7f}", ":\u{301}"])
    func badUserNamesAreRefused(name: String) throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        #expect(throws: UserStoreError.self) { try store.createUser(name, password: "secret") }
        #expect(try store.users().isEmpty)
    }

    @Test func groupsAreAddedListedAndRemoved() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "secret", groups: ["staff"])
        try store.createUser("bob", password: "secret")
        #expect(try store.addGroup(user: "ann", group: "admins"))
        #expect(try !store.addGroup(user: "ann", group: "admins"))
        #expect(try store.addGroup(user: "bob", group: "staff"))
        #expect(try store.groups(of: "ann") == ["admins", "staff"])
        #expect(try store.groups(of: "nobody") == [])
        #expect(try store.removeGroup(user: "ann", group: "staff"))
        #expect(try !store.removeGroup(user: "ann", group: "staff"))
        #expect(try store.groups(of: "ann") == ["admins"])
        #expect(try store.groups(of: "bob") == ["staff"])
        #expect(throws: UserStoreError.userNotFound("zed")) { try store.addGroup(user: "zed", group: "staff") }
        #expect(throws: UserStoreError.self) { try store.addGroup(user: "ann", group: "a,b") }
        #expect(throws: UserStoreError.self) { try store.addGroup(user: "ann", group: "") }
        let users = try store.users()
        #expect(users.map(\.name) == ["ann", "bob"])
        #expect(users.map(\.groups) == [["admins"], ["staff"]])
        #expect(users.allSatisfy { $0.isActive && $0.created != nil && $0.lastLogin == nil })
    }

    @Test func deletingAUserRemovesTheirMemberships() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "secret", groups: ["staff"])
        try store.deleteUser("ann")
        #expect(try store.users().isEmpty)
        #expect(try store.verify(user: "ann", password: "secret") == .userNotFound)
        #expect(throws: UserStoreError.userNotFound("ann")) { try store.deleteUser("ann") }
        // A new user of the same name does not inherit the old groups.
        try store.createUser("ann", password: "secret")
        #expect(try store.groups(of: "ann") == [])
    }

    @Test func aSecondStoreOnTheSameFileSeesTheSameUsers() throws {
        let database = try TemporaryDatabase()
        let first = try UserStore(path: database.path, iterations: Self.iterations)
        try first.createUser("ann", password: "secret", groups: ["staff"])
        let second = try UserStore(path: database.path, iterations: Self.iterations)
        #expect(try second.verify(user: "ann", password: "secret") == .granted("ann"))
        try second.createUser("bob", password: "secret")
        #expect(try first.users().map(\.name) == ["ann", "bob"])
        let reader = try UserStore(path: database.path, iterations: Self.iterations, readOnly: true)
        #expect(try reader.groups(of: "ann") == ["staff"])
        #expect(throws: (any Error).self) { try reader.createUser("cy", password: "secret") }
    }

    @Test func aStoredDjangoHashVerifies() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "placeholder")
        // Put a hash made by Python in place, as a migration from Django would.
        let encoded = try pythonHash(password: "from django", salt: "djangoSalt123", iterations: 1000)
        try overwriteHash(of: "ann", with: encoded, in: database.path)
        #expect(try store.verify(user: "ann", password: "from django") == .granted("ann"))
        #expect(try store.verify(user: "ann", password: "placeholder") == .denied)
        // A corrupt stored hash is a plain denial, not a crash.
        try overwriteHash(of: "ann", with: "pbkdf2_sha256$99999999999$x$y", in: database.path)
        #expect(try store.verify(user: "ann", password: "from django") == .denied)
    }

    @Test func loginsAreRecorded() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "secret")
        try store.recordLogin("ann")
        #expect(try store.user("ann")?.lastLogin != nil)
        #expect(try store.user("nobody") == nil)
    }
}

/// Writes a password column with the sqlite3 module of Python, outside
/// the store's API.
func overwriteHash(of user: String, with hash: String, in path: String) throws {
    try runPython(
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            + "c.execute('UPDATE users SET password = ? WHERE username = ?', (sys.argv[2], sys.argv[3])); c.commit()",
        path,
        hash,
        user
    )
}

/// Reads a password column with the sqlite3 module of Python.
func storedHash(of user: String, in path: String) throws -> String {
    try runPython(
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            + "print(c.execute('SELECT password FROM users WHERE username = ?', (sys.argv[2],)).fetchone()[0])",
        path,
        user
    )
}

/// Runs a Python script with arguments; returns its output, trimmed.
@discardableResult
func runPython(_ script: String, _ arguments: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
