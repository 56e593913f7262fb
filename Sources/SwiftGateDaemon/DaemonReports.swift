import CSwiftGate

/// The host's status callbacks (`swiftgate_daemon_config`'s `report_ctx`,
/// `request_begin`, `request_end`, `library_loaded`): what each worker
/// serves, for mod_swiftgate's scoreboard. Each call writes the worker's
/// own entry in shared memory, without a lock.
struct DaemonReports: @unchecked Sendable {
    private let context: UnsafeMutableRawPointer?
    private let begin: @convention(c) (UnsafeMutableRawPointer?, UInt32, UnsafePointer<swiftgate_pair>?, UInt64) -> Void
    private let end: @convention(c) (UnsafeMutableRawPointer?, UInt32, Int32, UInt64, UInt64) -> Void
    private let library: (@convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UInt64) -> Void)?

    /// The host's callbacks, or nil when it wants no reports.
    init?(_ config: swiftgate_daemon_config) {
        guard let begin = config.request_begin, let end = config.request_end else { return nil }
        context = config.report_ctx
        self.begin = begin
        self.end = end
        library = config.library_loaded
    }

    /// Worker `slot` starts serving the request `environ` describes.
    func requestBegins(slot: Int, environ: UnsafeBufferPointer<swiftgate_pair>) {
        begin(context, UInt32(slot), environ.baseAddress, UInt64(environ.count))
    }

    /// Worker `slot`'s request ended with `status`, having read and written
    /// that many body bytes.
    func requestEnds(slot: Int, status: Int, bytesIn: UInt64, bytesOut: UInt64) {
        end(context, UInt32(slot), Int32(truncatingIfNeeded: status), bytesIn, bytesOut)
    }

    /// An application from `path` serves this process's requests.
    func libraryLoaded(_ path: String) {
        guard let library else { return }
        var path = path
        path.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { library(context, $0.baseAddress, UInt64($0.count)) }
        }
    }
}
