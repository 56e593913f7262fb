// The user store's password lookup, N times, over libpq (SwiftGateUsers'
// PostgresPool) and over PostgresNIO, against one PostgreSQL database;
// and, for scale, what the key derivation of one check costs.
//
//     swift run -c release UserStoreBench postgres://user:pw@127.0.0.1:5432/db [N]

import Dispatch
import Foundation
import Logging
import PostgresNIO
import SwiftGateUsers

let arguments = CommandLine.arguments
guard arguments.count >= 2, let url = PostgresURL(arguments[1]), let parts = URLComponents(string: arguments[1])
else {
    FileHandle.standardError.write("usage: UserStoreBench postgres://user:password@host:port/database [N]\n".data(using: .utf8)!)
    exit(2)
}
let count = arguments.count > 2 ? Int(arguments[2]) ?? 2000 : 2000
let user = "bench-user"
// The exact statement a password check runs (PostgresUserTables.lookup).
let lookup = "SELECT id, username, password, is_active FROM users WHERE username = $1"

func report(_ label: String, _ samples: [Duration]) {
    let micros = samples.map { Double($0.components.attoseconds) / 1e12 + Double($0.components.seconds) * 1e6 }.sorted()
    let mean = micros.reduce(0, +) / Double(micros.count)
    let p50 = micros[micros.count / 2]
    let p99 = micros[min(micros.count - 1, micros.count * 99 / 100)]
    print(String(format: "%-44@ n=%5d  mean %8.1f us  p50 %8.1f us  p99 %8.1f us", label as NSString, micros.count, mean, p50, p99))
}

func timed(_ body: () throws -> Void) rethrows -> Duration {
    let start = ContinuousClock.now
    try body()
    return ContinuousClock.now - start
}

// The store and one user, made through SwiftGateUsers itself.
let store = try UserStore(url: arguments[1], iterations: PasswordHash.defaultIterations)
if try store.user(user) == nil { try store.createUser(user, password: "bench-password") }

// libpq: connect, then the lookup N times on the pool's connection.
let pool = PostgresPool(url: url, maximumConnections: 1)
report("libpq: first connect + lookup", [try timed { try pool.execute(lookup, [user]) }])
for _ in 0..<100 { try pool.execute(lookup, [user]) }
var samples: [Duration] = []
for _ in 0..<count { samples.append(try timed { try pool.execute(lookup, [user]) }) }
report("libpq (PostgresPool, blocking)", samples)

// PostgresNIO: the same statement, awaited; and awaited from a blocking
// thread, as the store's synchronous API would have to.
let logger = Logger(label: "bench")
let configuration = PostgresNIO.PostgresConnection.Configuration(
    host: parts.host ?? "127.0.0.1",
    port: parts.port ?? 5432,
    username: parts.user ?? "postgres",
    password: parts.password,
    database: String(parts.path.dropFirst()),
    tls: .disable
)
func nioLookup(_ connection: PostgresNIO.PostgresConnection) async throws {
    let rows = try await connection.query("SELECT id, username, password, is_active FROM users WHERE username = \(user)", logger: logger)
    for try await _ in rows.decode((Int64, String, String, Bool).self) {}
}
let connectStart = ContinuousClock.now
let connection = try await PostgresNIO.PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
try await nioLookup(connection)
report("PostgresNIO: first connect + lookup", [ContinuousClock.now - connectStart])
for _ in 0..<100 { try await nioLookup(connection) }
samples = []
for _ in 0..<count {
    let start = ContinuousClock.now
    try await nioLookup(connection)
    samples.append(ContinuousClock.now - start)
}
report("PostgresNIO (async)", samples)

// A blocking caller (an Apache thread) waits on a semaphore for the task.
final class Box: @unchecked Sendable { var error: Error? }
samples = await Task.detached {
    var samples: [Duration] = []
    for _ in 0..<count {
        let semaphore = DispatchSemaphore(value: 0)
        let box = Box()
        let start = ContinuousClock.now
        Task {
            do { try await nioLookup(connection) } catch { box.error = error }
            semaphore.signal()
        }
        semaphore.wait()
        samples.append(ContinuousClock.now - start)
    }
    return samples
}.value
report("PostgresNIO (blocking caller, semaphore)", samples)
try await connection.closeGracefully()

// For scale: one password check's key derivation at the default count.
let hash = try PasswordHash(password: "bench-password", salt: "benchsalt0123456789abc", iterations: PasswordHash.defaultIterations)
samples = []
for _ in 0..<5 { samples.append(timed { _ = hash.matches("bench-password") }) }
report("PBKDF2-SHA256, \(PasswordHash.defaultIterations) rounds", samples)
