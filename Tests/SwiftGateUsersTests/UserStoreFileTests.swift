import Foundation
import Glibc
import SwiftGateUsers
import Testing

/// The mode, group and path rules of a user store's file.
@Suite struct UserStoreFileTests {
    private static let iterations = 100

    private func status(_ path: String) throws -> stat {
        var info = stat()
        try #require(lstat(path, &info) == 0)
        return info
    }

    @Test func aNewStoreIsReadableByItsOwnerAlone() throws {
        let database = try TemporaryDatabase()
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "secret")
        #expect(try status(database.path).st_mode & 0o7777 == 0o600)
    }

    @Test func aGroupReadableStoreIs0640WithThatGroup() throws {
        let database = try TemporaryDatabase()
        let gid = getegid()
        let store = try UserStore(
            path: database.path,
            iterations: Self.iterations,
            fileAccess: .groupReadable(gid: gid)
        )
        try store.createUser("ann", password: "secret")
        let info = try status(database.path)
        #expect(info.st_mode & 0o7777 == 0o640)
        #expect(info.st_gid == gid)
    }

    @Test func anExistingFileKeepsItsMode() throws {
        let database = try TemporaryDatabase()
        _ = try UserStore(path: database.path, iterations: Self.iterations)
        try #require(chmod(database.path, 0o640) == 0)
        let store = try UserStore(path: database.path, iterations: Self.iterations)
        try store.createUser("ann", password: "secret")
        #expect(try status(database.path).st_mode & 0o7777 == 0o640)
    }

    @Test func aLinkToNothingIsNotCreatedThrough() throws {
        let database = try TemporaryDatabase()
        let target = database.directory.appendingPathComponent("elsewhere.sqlite").path
        try #require(symlink(target, database.path) == 0)
        #expect(throws: UserStoreError.symbolicLink(database.path)) {
            try UserStore(path: database.path, iterations: Self.iterations)
        }
        #expect(access(target, F_OK) != 0)
    }

    @Test func aStoreInMemoryMakesNoFile() throws {
        let store = try UserStore(path: ":memory:", iterations: Self.iterations)
        try store.createUser("ann", password: "secret")
        #expect(try store.verify(user: "ann", password: "secret") == .granted("ann"))
        #expect(access(":memory:", F_OK) != 0)
    }

    @Test func aMissingDirectoryIsNamed() throws {
        let database = try TemporaryDatabase()
        let path = database.directory.appendingPathComponent("no/such/users.sqlite").path
        #expect {
            try UserStore(path: path, iterations: Self.iterations)
        } throws: { error in
            guard case .cannotCreate(let named, _) = error as? UserStoreError else { return false }
            return named == path
        }
    }
}
