import Glibc
import Testing

@testable import SwiftGateUsers

/// The PostgreSQL side of the store that needs no server: URLs, what is
/// printed of them, and a database that cannot be reached. Tests against a
/// real server are in Tests/integration/test_users_postgres.py.
@Suite struct PostgresStoreTests {
    @Test func postgresURLsAreToldFromPaths() {
        #expect(PostgresURL.isPostgres("postgres://u@h/db"))
        #expect(PostgresURL.isPostgres("PostgreSQL://u@h/db"))
        #expect(!PostgresURL.isPostgres("/var/lib/site/users.sqlite"))
        #expect(!PostgresURL.isPostgres("postgres.sqlite"))
        #expect(PostgresURL("users.sqlite") == nil)
    }

    @Test func theRedactedURLHasNoPassword() throws {
        let url = try #require(PostgresURL("postgres://site:s3cret@db.example:5433/users?sslmode=require"))
        #expect(url.redacted == "postgres://site:***@db.example:5433/users?sslmode=require")
        #expect(url.description == url.redacted)
        let parameter = try #require(PostgresURL("postgresql://site@db/users?password=s3cret&sslmode=verify-full"))
        #expect(parameter.redacted == "postgresql://site@db/users?password=***&sslmode=verify-full")
        let atInPassword = try #require(PostgresURL("postgres://site:p@ss@db/users"))
        #expect(atInPassword.redacted == "postgres://site:***@db/users")
        let noUser = try #require(PostgresURL("postgres:///users"))
        #expect(noUser.redacted == "postgres:///users")
    }

    @Test func messagesAreScrubbedOfThePassword() throws {
        let url = try #require(PostgresURL("postgres://site:s3cret@db/users?password=other"))
        #expect(url.scrub("bad value s3cret and other") == "bad value *** and ***")
    }

    @Test func aDatabaseThatCannotBeReachedIsUnavailableNotDenied() throws {
        // A loopback port nothing listens on: refused at once.
        let port = Self.closedPort()
        let store = try UserStore(url: "postgres://site:s3cret@127.0.0.1:\(port)/users", iterations: 1000)
        #expect(store.isPostgres)
        #expect(store.path == "postgres://site:***@127.0.0.1:\(port)/users")
        do {
            _ = try store.verify(user: "ann", password: "pw")
            Issue.record("a check against a database that is down answered")
        } catch let error as UserStoreError {
            guard case .unavailable(let reason) = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
            #expect(reason.hasPrefix("postgres://site:***@127.0.0.1:\(port)/users: "))
            #expect(!error.description.contains("s3cret"))
        }
        #expect(throws: UserStoreError.self) { try store.users() }
        #expect(throws: UserStoreError.self) { try store.checkAvailable() }
    }

    @Test func opensNoConnectionUntilTheFirstStatement() throws {
        let port = Self.closedPort()
        let url = try #require(PostgresURL("postgres://site@127.0.0.1:\(port)/lazy"))
        // Opening does not connect (nothing listens, yet no error).
        _ = try UserStore(url: url.text, iterations: 1000)
        #expect(PostgresPool.shared(url).openConnections == 0)
        #expect(throws: UserStoreError.self) { try PostgresPool.shared(url).execute("SELECT 1") }
        // A failed connection is not kept.
        #expect(PostgresPool.shared(url).openConnections == 0)
    }

    @Test func oneProcessSharesOnePoolPerURL() throws {
        let url = try #require(PostgresURL("postgres://site@127.0.0.1:1/shared"))
        #expect(PostgresPool.shared(url) === PostgresPool.shared(url))
        #expect(PostgresPool.shared(url).maximumConnections == PostgresPool.defaultMaximumConnections)
    }

    /// A loopback port that refuses connections: bound, then closed.
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length)
                return getsockname(fd, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
