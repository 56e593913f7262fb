import CSwiftGate
import SwiftGateHosting

/// `swiftgate_daemon_config` copied into Swift values, with its defaults
/// applied.
struct DaemonConfiguration: @unchecked Sendable {
    /// A read or write on a connection waits this long when the host says 0.
    static let defaultSocketTimeoutMilliseconds: UInt64 = 60_000
    /// A drain or recycle waits this long for running requests when the
    /// host says 0.
    static let defaultGracefulTimeoutMilliseconds: UInt64 = 15_000
    /// A stop waits this long for running requests when the host says 0.
    static let defaultShutdownTimeoutMilliseconds: UInt64 = 5_000

    var listenFD: Int32
    var controlFD: Int32
    var threads: UInt32
    var maximumRequests: UInt64
    var restartIntervalMilliseconds: UInt64
    var inactivityTimeoutMilliseconds: UInt64
    var requestTimeoutMilliseconds: UInt64
    /// How long a request cancelled at request-timeout may take to end
    /// before the process is given up (0: at once).
    var interruptTimeoutMilliseconds: UInt64
    /// Recycle past this resident set size, in bytes; 0 never.
    var memoryLimitBytes: UInt64
    /// The path every preloaded application must answer 2xx before the
    /// daemon serves; nil: none.
    var healthCheck: String?
    /// The path the daemon answers itself for a balancer's probe; nil:
    /// none (``HealthAnswer``).
    var healthPath: String?
    var queueTimeoutMilliseconds: UInt64
    var socketTimeoutMilliseconds: UInt64
    var startupTimeoutMilliseconds: UInt64
    var gracefulTimeoutMilliseconds: UInt64
    var shutdownTimeoutMilliseconds: UInt64
    var processGroup: String
    /// Libraries requests may name in SCRIPT_FILENAME.
    var libraries: Set<String>
    var fixedLibrary: String?
    var defaultCallable: String
    var defaultApplicationGroup: String
    var preload: [ApplicationKey]
    var checkLibraries: Bool
    /// Whether the host allows serving as root (`SWIFTGATE_DAEMON_ALLOW_ROOT`).
    var allowsRoot: Bool
    /// The host's callback told when the daemon starts and stops accepting.
    var serving: (@convention(c) (UnsafeMutableRawPointer?, Int32) -> Void)?
    var servingContext: UnsafeMutableRawPointer?
    /// Whether to stop when the parent process exits (hosted by Apache).
    var watchesParent: Bool
    /// The host's services, or nil for stderr.
    var host: UnsafePointer<swiftgate_host>?
    /// What every request must carry to be believed.
    var secret: HostSecret
    /// The host's status reports (its scoreboard), or nil.
    var reports: DaemonReports?

    /// The size of `swiftgate_daemon_config` in the first release (before
    /// the status reports).
    static let firstReleaseSize = UInt32(MemoryLayout<swiftgate_daemon_config>.offset(of: \.report_ctx)!)
    /// Its size with the status reports, before the process-management
    /// fields.
    static let reportsSize = UInt32(MemoryLayout<swiftgate_daemon_config>.offset(of: \.interrupt_timeout_ms)!)
    /// Its size with the process-management fields, before the health
    /// path.
    static let processManagementSize = UInt32(MemoryLayout<swiftgate_daemon_config>.offset(of: \.health_path)!)

    /// Copies a host's configuration.
    ///
    /// - Parameter config: The host's configuration.
    /// - Returns: nil when the struct is smaller than the first release's
    ///   (the caller logs it). An older host's struct, which ends before
    ///   the status reports, the process-management fields or the health
    ///   path, gets the defaults of what it lacks.
    init?(_ config: UnsafePointer<swiftgate_daemon_config>) {
        let c = config.pointee
        guard c.struct_size >= Self.firstReleaseSize else { return nil }
        let managed = c.struct_size >= Self.processManagementSize
        interruptTimeoutMilliseconds = managed ? c.interrupt_timeout_ms : 0
        memoryLimitBytes = managed ? c.memory_limit_bytes : 0
        healthCheck = managed ? Self.nonEmpty(c.health_check) : nil
        let current = c.struct_size >= UInt32(MemoryLayout<swiftgate_daemon_config>.size)
        healthPath = current ? Self.nonEmpty(c.health_path) : nil
        listenFD = c.listen_fd
        controlFD = c.control_fd
        threads = max(c.threads, 1)
        maximumRequests = c.maximum_requests
        restartIntervalMilliseconds = c.restart_interval_ms
        inactivityTimeoutMilliseconds = c.inactivity_timeout_ms
        requestTimeoutMilliseconds = c.request_timeout_ms
        queueTimeoutMilliseconds = c.queue_timeout_ms
        socketTimeoutMilliseconds =
            c.socket_timeout_ms == 0 ? Self.defaultSocketTimeoutMilliseconds : c.socket_timeout_ms
        startupTimeoutMilliseconds = c.startup_timeout_ms
        gracefulTimeoutMilliseconds =
            c.graceful_timeout_ms == 0 ? Self.defaultGracefulTimeoutMilliseconds : c.graceful_timeout_ms
        shutdownTimeoutMilliseconds =
            c.shutdown_timeout_ms == 0 ? Self.defaultShutdownTimeoutMilliseconds : c.shutdown_timeout_ms
        processGroup = c.process_group.map { String(cString: $0) } ?? ""
        libraries = Set(Self.strings(c.libraries))
        fixedLibrary = c.fixed_library.map { String(cString: $0) }
        defaultCallable = c.default_callable.map { String(cString: $0) } ?? SWIFTGATE_DEFAULT_CALLABLE
        defaultApplicationGroup = c.default_application_group.map { String(cString: $0) } ?? ""
        checkLibraries = c.check_libraries != 0
        allowsRoot = c.flags & SWIFTGATE_DAEMON_ALLOW_ROOT != 0
        serving = c.serving
        servingContext = c.serving_ctx
        watchesParent = c.control_fd >= 0
        host = c.host
        secret = HostSecret(
            c.secret.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(c.secret_len))) } ?? []
        )
        reports = c.struct_size >= Self.reportsSize ? DaemonReports(c) : nil
        preload = []
        for entry in Self.strings(c.preload) {
            let parts = entry.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let callable = parts.count > 1 && !parts[1].isEmpty ? parts[1] : defaultCallable
            let group = parts.count > 2 ? parts[2] : defaultApplicationGroup
            preload.append(ApplicationKey(library: parts[0], callable: callable, group: group))
        }
    }

    /// A C string as a String; nil for NULL or empty.
    private static func nonEmpty(_ string: UnsafePointer<CChar>?) -> String? {
        guard let string, string.pointee != 0 else { return nil }
        return String(cString: string)
    }

    /// The strings of a NULL-terminated array (none for a NULL array).
    private static func strings(_ list: UnsafePointer<UnsafePointer<CChar>?>?) -> [String] {
        guard let list else { return [] }
        var out: [String] = []
        var index = 0
        while let entry = list[index] {
            out.append(String(cString: entry))
            index += 1
        }
        return out
    }
}
