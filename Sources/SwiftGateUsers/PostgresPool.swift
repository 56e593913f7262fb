import Foundation
import Glibc
import Synchronization

/// A bounded pool of libpq connections to one database, one pool per URL
/// per process (``shared(_:)``).
///
/// Nothing connects until the first statement: a pool made in the Apache
/// parent holds no connection its children would inherit. A connection
/// that failed is closed, not returned; the next statement opens a new one,
/// so the pool reconnects by itself once the database is back. A kept
/// connection is checked before it is handed out (its socket must have
/// nothing to read) and closed if the server dropped it meanwhile; a read
/// run with `retry` on a kept connection that still turns out broken runs
/// once more on a new connection.
public final class PostgresPool: Sendable {
    /// The most connections one process keeps to a database: a process
    /// checks passwords on a few threads at once, and each key derivation
    /// takes far longer than its lookup, so a few connections serve many
    /// threads while many processes stay well under the server's
    /// `max_connections` (100 by default).
    public static let defaultMaximumConnections = 4
    /// How long a statement waits for a free connection, in seconds,
    /// before the database counts as unavailable.
    static let checkoutTimeout: Double = 10

    /// The database.
    public let url: PostgresURL
    /// The most connections open at once.
    public let maximumConnections: Int

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        /// The process the connections belong to: after `fork` the child
        /// forgets its parent's.
        var pid = getpid()
    }

    // NSCondition rather than Mutex: a thread waits for a free connection.
    private nonisolated(unsafe) var state = State()
    private let condition = NSCondition()

    private static let pools = Mutex<[String: PostgresPool]>([:])

    /// The process's pool for `url`, made on first use.
    ///
    /// - Parameter url: The database.
    /// - Returns: The pool; every store and application part that names
    ///   the same URL shares it.
    public static func shared(_ url: PostgresURL) -> PostgresPool {
        pools.withLock { pools in
            if let pool = pools[url.text] { return pool }
            let pool = PostgresPool(url: url)
            pools[url.text] = pool
            return pool
        }
    }

    /// Makes a pool of its own (``shared(_:)`` is what sites use).
    ///
    /// - Parameters:
    ///   - url: The database.
    ///   - maximumConnections: The most connections open at once.
    public init(url: PostgresURL, maximumConnections: Int = defaultMaximumConnections) {
        precondition(maximumConnections > 0, "a pool needs at least one connection")
        self.url = url
        self.maximumConnections = maximumConnections
    }

    /// Runs `body` with a connection of the pool.
    ///
    /// - Parameters:
    ///   - retry: Whether `body` may run a second time, on a new
    ///     connection, when a kept one turns out broken (reads; a write
    ///     may have been done).
    ///   - body: The work; the connection is the caller's until it
    ///     returns.
    /// - Returns: What `body` returns.
    /// - Throws: ``UserStoreError/unavailable(_:)`` when no connection can
    ///   be had or the connection failed; ``UserStoreError/driverMissing(_:)``
    ///   without libpq; what `body` throws.
    public func withConnection<T>(retry: Bool = false, _ body: (PostgresConnection) throws -> T) throws -> T {
        let (connection, wasKept) = try checkOut()
        do {
            let value = try body(connection)
            checkIn(connection)
            return value
        } catch let error as UserStoreError {
            checkIn(connection)
            guard case .unavailable = error, connection.isBroken, wasKept, retry else { throw error }
            let (fresh, _) = try checkOut(newOnly: true)
            defer { checkIn(fresh) }
            return try body(fresh)
        } catch {
            checkIn(connection)
            throw error
        }
    }

    /// Runs one statement on a connection of the pool.
    ///
    /// - Parameters:
    ///   - sql: The statement, `$1`… for the parameters.
    ///   - parameters: The parameters as text.
    ///   - retry: Whether the statement may run again on a new connection
    ///     (see ``withConnection(retry:_:)``).
    /// - Returns: The rows.
    /// - Throws: As ``withConnection(retry:_:)`` and
    ///   ``PostgresConnection/execute(_:_:)``.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = [], retry: Bool = false) throws -> PostgresRows {
        try withConnection(retry: retry) { try $0.execute(sql, parameters) }
    }

    /// Closes the idle connections (those in use close when returned).
    public func closeIdle() {
        condition.lock()
        let idle = state.idle
        state.idle = []
        state.open -= idle.count
        condition.broadcast()
        condition.unlock()
        idle.forEach { $0.close() }
    }

    /// The number of connections open now (idle or in use).
    public var openConnections: Int {
        condition.lock()
        defer { condition.unlock() }
        return state.open
    }

    private func checkOut(newOnly: Bool = false) throws(UserStoreError) -> (PostgresConnection, Bool) {
        condition.lock()
        let pid = getpid()
        if state.pid != pid {
            // Inherited across fork: the sockets are the parent's.
            state.idle.forEach { $0.abandon() }
            state = State()
            state.pid = pid
        }
        let deadline = Date(timeIntervalSinceNow: Self.checkoutTimeout)
        while true {
            if !newOnly, let connection = state.idle.popLast() {
                if connection.isAliveWhileIdle {
                    condition.unlock()
                    return (connection, true)
                }
                state.open -= 1
                condition.unlock()
                connection.close()
                condition.lock()
                continue
            }
            if state.open < maximumConnections { break }
            if newOnly, let spare = state.idle.popLast() {
                // Make room: an idle connection is likely as stale as the
                // broken one.
                state.open -= 1
                condition.unlock()
                spare.close()
                condition.lock()
                continue
            }
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw .unavailable(
                    "\(url.redacted): all \(maximumConnections) connections busy for \(Int(Self.checkoutTimeout)) s"
                )
            }
        }
        state.open += 1
        condition.unlock()
        do {
            return (try PostgresConnection(url: url), false)
        } catch {
            condition.lock()
            state.open -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isBroken {
            state.open -= 1
            condition.signal()
            condition.unlock()
            connection.close()
            return
        }
        state.idle.append(connection)
        condition.signal()
        condition.unlock()
    }
}
