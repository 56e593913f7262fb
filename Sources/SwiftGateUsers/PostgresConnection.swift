import Glibc

/// One libpq connection, used by one thread at a time (a
/// ``PostgresPool`` hands it out).
///
/// Statements go with their parameters apart (`PQexecParams`, text
/// format), never spliced into the SQL.
public final class PostgresConnection {
    /// How long opening a connection may take, in seconds, unless the URL
    /// says (`connect_timeout`): a password check must not hang on a
    /// database that does not answer.
    static let defaultConnectTimeout = 5

    private let library: LibPQ
    private let handle: LibPQ.Connection
    let url: PostgresURL
    /// Set once the connection failed; the pool closes it instead of
    /// keeping it.
    private(set) var isBroken = false

    /// Opens a connection.
    ///
    /// - Throws: ``UserStoreError/driverMissing(_:)`` without libpq;
    ///   ``UserStoreError/unavailable(_:)`` when the server cannot be
    ///   reached or refuses the login.
    init(url: PostgresURL) throws(UserStoreError) {
        let library = try LibPQ.get()
        // Key words before `dbname` are defaults the URL may override
        // (libpq keeps the last value of a repeated key word).
        // client_min_messages: CREATE … IF NOT EXISTS notices would go to
        // standard error, the Apache error log.
        let keywords = ["connect_timeout", "options", "application_name", "dbname"]
        let values = [
            "\(Self.defaultConnectTimeout)", "-c client_min_messages=warning", "swiftgate", url.text,
        ]
        let handle = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in
                library.connectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let handle else { throw .unavailable("\(url.redacted): out of memory") }
        guard library.status(handle) == LibPQ.connectionOK else {
            let message = url.scrub(LibPQ.text(library.errorMessage(handle)))
            library.finish(handle)
            throw .unavailable("\(url.redacted): \(message)")
        }
        self.library = library
        self.handle = handle
        self.url = url
    }

    /// Closes the connection.
    func close() {
        library.finish(handle)
    }

    /// Whether a connection that sat idle in the pool is still good: an
    /// idle connection has nothing to read, so a readable socket means the
    /// server closed it or said why it would (a restart's "terminating
    /// connection"). Checked before a kept connection is handed out, so
    /// that a write is never sent on a connection already dead.
    var isAliveWhileIdle: Bool {
        guard !isBroken else { return false }
        let fd = library.socket(handle)
        guard fd >= 0 else { return false }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 0
    }

    /// Forgets the connection without a word to the server: for a copy
    /// inherited across `fork`, whose socket the parent still uses.
    func abandon() {
        isBroken = true
    }

    /// Runs one statement.
    ///
    /// - Parameters:
    ///   - sql: The statement, with `$1`, `$2`… for the parameters.
    ///   - parameters: The parameters as text; nil is SQL NULL.
    /// - Returns: The rows, each a column array of text (nil for NULL),
    ///   and the number of rows the statement changed.
    /// - Throws: ``UserStoreError/unavailable(_:)`` when the connection
    ///   failed (then ``isBroken``); ``PostgresQueryError`` when the
    ///   server refused the statement.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> PostgresRows {
        guard !isBroken else { throw UserStoreError.unavailable("\(url.redacted): the connection was closed") }
        // libpq takes C strings: a NUL would cut a parameter short, and
        // "alice\0x" would be looked up as "alice".
        if parameters.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresQueryError(sqlState: "22021", message: "a parameter contains a NUL byte")
        }
        let result = withOptionalCStrings(parameters) { pointers in
            library.execParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        defer { library.clear(result) }
        let status = result.map { library.resultStatus($0) } ?? -1
        guard status == LibPQ.commandOK || status == LibPQ.tuplesOK else {
            if library.status(handle) != LibPQ.connectionOK || result == nil {
                isBroken = true
                let message = url.scrub(LibPQ.text(library.errorMessage(handle)))
                throw UserStoreError.unavailable("\(url.redacted): \(message)")
            }
            let state = LibPQ.text(library.resultErrorField(result, LibPQ.diagSQLState))
            let message = url.scrub(LibPQ.text(library.resultErrorMessage(result)))
            // Class 08 (connection exception), 57P01-57P03 (the server is
            // shutting down or starting): the database is unavailable.
            if state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) {
                isBroken = true
                throw UserStoreError.unavailable("\(url.redacted): \(message)")
            }
            throw PostgresQueryError(sqlState: state, message: message)
        }
        var rows: [[String?]] = []
        let count = library.ntuples(result)
        let fields = library.nfields(result)
        rows.reserveCapacity(Int(count))
        for row in 0..<count {
            var columns: [String?] = []
            columns.reserveCapacity(Int(fields))
            for column in 0..<fields {
                if library.getisnull(result, row, column) != 0 {
                    columns.append(nil)
                } else {
                    columns.append(library.getvalue(result, row, column).map { String(cString: $0) })
                }
            }
            rows.append(columns)
        }
        let changed = Int(LibPQ.text(library.cmdTuples(result))) ?? 0
        return PostgresRows(rows: rows, changed: changed)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled
    /// back when it throws.
    ///
    /// - Parameter body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` or the database throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if !isBroken { _ = try? execute("ROLLBACK") }
            throw error
        }
    }
}

/// The answer to a statement: its rows as text, and how many rows it
/// changed.
public struct PostgresRows: Sendable {
    /// The rows; each a column array of text, nil for NULL.
    public var rows: [[String?]]
    /// The number of rows an INSERT, UPDATE or DELETE changed.
    public var changed: Int
}

/// A statement the server refused (not a lost connection).
public struct PostgresQueryError: Error, Sendable, CustomStringConvertible {
    /// The SQLSTATE code, e.g. `23505` for a unique violation.
    public var sqlState: String
    /// The server's message.
    public var message: String

    public var description: String { "PostgreSQL error \(sqlState): \(message)" }

    /// Whether a unique constraint refused the statement.
    var isUniqueViolation: Bool { sqlState == "23505" }
}

/// Calls `body` with NUL-terminated copies of `strings`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) } + [nil]) { body($0!) }
}

/// Calls `body` with NUL-terminated copies of `strings` (NULL for nil), or
/// with nil for an empty array.
private func withOptionalCStrings<R>(
    _ strings: [String?],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
)
    -> R
{
    guard !strings.isEmpty else { return body(nil) }
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
