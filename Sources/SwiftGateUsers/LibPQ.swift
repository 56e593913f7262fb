import Glibc

/// PostgreSQL's client library, libpq, loaded with `dlopen` the first time
/// a `postgres://` store is opened.
///
/// Loaded at run time rather than linked, so that building SwiftGate needs
/// no `libpq-dev` and a site that keeps its users in SQLite never loads it;
/// only the functions below are used, through their stable C ABI
/// (`libpq.so.5`, unchanged since PostgreSQL 8.0).
final class LibPQ: Sendable {
    typealias Connection = OpaquePointer
    typealias Result = OpaquePointer

    /// The soname looked for.
    static let soname = "libpq.so.5"

    // CONNECTION_OK, PGRES_COMMAND_OK, PGRES_TUPLES_OK, PG_DIAG_SQLSTATE.
    static let connectionOK: Int32 = 0
    static let commandOK: Int32 = 1
    static let tuplesOK: Int32 = 2
    static let diagSQLState: Int32 = 67  // 'C'

    typealias ConnectdbParams =
        @convention(c) (
            UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?, Int32
        ) -> Connection?
    typealias ExecParams =
        @convention(c) (
            Connection?, UnsafePointer<CChar>?, Int32, UnsafeRawPointer?,
            UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
        ) -> Result?
    typealias ConnectionInt = @convention(c) (Connection?) -> Int32
    typealias ConnectionText = @convention(c) (Connection?) -> UnsafePointer<CChar>?
    typealias ConnectionVoid = @convention(c) (Connection?) -> Void
    typealias ResultInt = @convention(c) (Result?) -> Int32
    typealias ResultText = @convention(c) (Result?) -> UnsafePointer<CChar>?
    typealias ResultFieldText = @convention(c) (Result?, Int32) -> UnsafePointer<CChar>?
    typealias ResultCellText = @convention(c) (Result?, Int32, Int32) -> UnsafePointer<CChar>?
    typealias ResultCellInt = @convention(c) (Result?, Int32, Int32) -> Int32
    typealias ResultVoid = @convention(c) (Result?) -> Void

    let connectdbParams: ConnectdbParams
    let status: ConnectionInt
    let errorMessage: ConnectionText
    let finish: ConnectionVoid
    let execParams: ExecParams
    let resultStatus: ResultInt
    let resultErrorMessage: ResultText
    let resultErrorField: ResultFieldText
    let ntuples: ResultInt
    let nfields: ResultInt
    let getvalue: ResultCellText
    let getisnull: ResultCellInt
    let cmdTuples: ResultText
    let clear: ResultVoid
    let socket: ConnectionInt

    /// The library, loaded once per process; the error says why it could
    /// not be.
    static let shared: Swift.Result<LibPQ, UserStoreError> = load()

    private init(handle: UnsafeMutableRawPointer) throws(UserStoreError) {
        func symbol<T>(_ name: String, as type: T.Type) throws(UserStoreError) -> T {
            guard let pointer = dlsym(handle, name) else {
                throw .driverMissing("\(LibPQ.soname) has no \(name)")
            }
            return unsafeBitCast(pointer, to: type)
        }
        connectdbParams = try symbol("PQconnectdbParams", as: ConnectdbParams.self)
        status = try symbol("PQstatus", as: ConnectionInt.self)
        errorMessage = try symbol("PQerrorMessage", as: ConnectionText.self)
        finish = try symbol("PQfinish", as: ConnectionVoid.self)
        execParams = try symbol("PQexecParams", as: ExecParams.self)
        resultStatus = try symbol("PQresultStatus", as: ResultInt.self)
        resultErrorMessage = try symbol("PQresultErrorMessage", as: ResultText.self)
        resultErrorField = try symbol("PQresultErrorField", as: ResultFieldText.self)
        ntuples = try symbol("PQntuples", as: ResultInt.self)
        nfields = try symbol("PQnfields", as: ResultInt.self)
        getvalue = try symbol("PQgetvalue", as: ResultCellText.self)
        getisnull = try symbol("PQgetisnull", as: ResultCellInt.self)
        cmdTuples = try symbol("PQcmdTuples", as: ResultText.self)
        clear = try symbol("PQclear", as: ResultVoid.self)
        socket = try symbol("PQsocket", as: ConnectionInt.self)
    }

    private static func load() -> Swift.Result<LibPQ, UserStoreError> {
        // RTLD_LOCAL: libpq's symbols stay out of the global namespace that
        // Apache and the application libraries share.
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(
                .driverMissing("\(reason); install the libpq5 package (Debian, Ubuntu) or your system's libpq")
            )
        }
        do {
            return .success(try LibPQ(handle: handle))
        } catch {
            dlclose(handle)
            return .failure(error)
        }
    }

    /// The library, or ``UserStoreError/driverMissing(_:)``.
    static func get() throws(UserStoreError) -> LibPQ {
        try shared.get()
    }

    /// A C string as a Swift one, without its trailing newline.
    static func text(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        var text = String(cString: pointer)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
