import CSwiftGate
import Logging

/// Sends swift-log lines to the host's error log (Apache's ErrorLog).
///
/// A request's logger is the application's with a key or two more (its id,
/// a framework's), so every request copies this handler and sets metadata
/// on the copy. What lines need but never changes per request (the label,
/// the host, the metadata provider) is one shared reference, which keeps
/// the handler within an existential's inline buffer: copying the `Logger`
/// then copies two references and a level, with no box of its own.
struct HostLogHandler: LogHandler {
    /// What every copy of a handler shares.
    private final class Shared: Sendable {
        let label: String
        let host: HostServices
        let metadataProvider: Logger.MetadataProvider?

        init(label: String, host: HostServices, metadataProvider: Logger.MetadataProvider?) {
            self.label = label
            self.host = host
            self.metadataProvider = metadataProvider
        }
    }

    /// One metadata entry (a struct: an array of tuples would have the
    /// runtime look the tuple's type up on generic paths).
    private struct Entry {
        let key: String
        var value: Logger.Metadata.Value
    }

    private var shared: Shared
    var logLevel: Logger.Level
    /// The metadata, with distinct keys in the order they were set: an
    /// append here rather than hashing into a new dictionary.
    private var entries: [Entry] = []

    var label: String { shared.label }

    /// - Parameters:
    ///   - label: The logger's label, at the start of each line.
    ///   - host: Where lines go.
    ///   - level: The least severe level logged; by default the most
    ///     verbose the host keeps, so that no line is formatted for a host
    ///     that would drop it (Vapor logs every request at info).
    ///   - metadataProvider: Metadata added to every line, before the
    ///     logger's own.
    init(
        label: String,
        host: HostServices,
        level: Logger.Level? = nil,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        shared = Shared(label: label, host: host, metadataProvider: metadataProvider)
        logLevel = level ?? host.logLevel
    }

    /// A logger whose lines go to the host's log: the application's logger,
    /// which each request's logger is copied from.
    ///
    /// - Parameters:
    ///   - label: The logger's label.
    ///   - host: Where lines go.
    ///   - metadataProvider: Whose metadata every line carries as well; by
    ///     default ``bootstrappedProvider``.
    static func logger(
        label: String,
        host: HostServices,
        metadataProvider: Logger.MetadataProvider? = bootstrappedProvider
    ) -> Logger {
        Logger(label: label) { label in
            HostLogHandler(label: label, host: host, metadataProvider: metadataProvider)
        }
    }

    /// The metadata of the provider `LoggingSystem` is bootstrapped with (a
    /// tracing library's, say), looked up when a line is written: the host
    /// makes the application's logger before the application runs, and an
    /// application bootstraps its logging while it starts or later.
    static let bootstrappedProvider = Logger.MetadataProvider {
        LoggingSystem.metadataProvider?.get() ?? [:]
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { shared.metadataProvider }
        set { shared = Shared(label: shared.label, host: shared.host, metadataProvider: newValue) }
    }

    var metadata: Logger.Metadata {
        get { Logger.Metadata(entries.lazy.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }) }
        set { entries = newValue.map { Entry(key: $0.key, value: $0.value) } }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    entries[index].value = newValue
                } else {
                    entries.remove(at: index)
                }
            } else if let newValue {
                if entries.isEmpty {
                    entries.reserveCapacity(4)
                }
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    func log(event: LogEvent) {
        // The provider's, then the logger's own, then the line's: a later
        // source wins for a key both have.
        var merged = shared.metadataProvider?.get() ?? [:]
        for entry in entries {
            merged[entry.key] = entry.value
        }
        if let extra = event.metadata {
            merged.merge(extra) { _, new in new }
        }
        var line = "[\(label)] \(event.message)"
        if !merged.isEmpty {
            line += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        shared.host.log(Self.hostLevel(event.level), line)
    }

    static func hostLevel(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: SWIFTGATE_LOG_DEBUG
        case .info: SWIFTGATE_LOG_INFO
        case .notice: SWIFTGATE_LOG_NOTICE
        case .warning: SWIFTGATE_LOG_WARNING
        case .error: SWIFTGATE_LOG_ERR
        case .critical: SWIFTGATE_LOG_CRIT
        }
    }
}

/// The host's process-wide services (its log, its metrics), copied from
/// `swiftgate_host`.
struct HostServices: @unchecked Sendable {
    let context: UnsafeMutableRawPointer?
    let logFunction: (@convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UInt64) -> Void)?
    let metricRegister: (@convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UInt64) -> Int32)?
    let metricUpdate: (@convention(c) (UnsafeMutableRawPointer?, Int32, Int32, Double) -> Void)?
    /// The most verbose level the host's log keeps.
    let logLevel: Logger.Level

    init(_ host: UnsafePointer<swiftgate_host>?) {
        context = host?.pointee.ctx
        logFunction = host?.pointee.log
        // The metric callbacks and the level came later: only a host
        // struct that has a field is read for it.
        let size = Int(host?.pointee.struct_size ?? 0)
        let hasMetrics = size >= Self.end(of: \.metric_update)
        metricRegister = hasMetrics ? host?.pointee.metric_register : nil
        metricUpdate = hasMetrics ? host?.pointee.metric_update : nil
        if let host, size >= Self.end(of: \.log_level) {
            logLevel = Self.loggerLevel(host.pointee.log_level)
        } else {
            logLevel = .info
        }
    }

    /// Where a field of `swiftgate_host` ends, in bytes from its start.
    private static func end<Field>(of field: KeyPath<swiftgate_host, Field>) -> Int {
        MemoryLayout<swiftgate_host>.offset(of: field)! + MemoryLayout<Field>.size
    }

    /// The swift-log level that logs what a host keeping `level` keeps.
    static func loggerLevel(_ level: Int32) -> Logger.Level {
        switch level {
        case SWIFTGATE_LOG_DEBUG...: .trace
        case SWIFTGATE_LOG_INFO: .info
        case SWIFTGATE_LOG_NOTICE: .notice
        case SWIFTGATE_LOG_WARNING: .warning
        case SWIFTGATE_LOG_ERR: .error
        default: .critical
        }
    }

    /// Writes one line to the host's log (thread-safe on the host's side).
    func log(_ level: Int32, _ message: String) {
        guard let logFunction else { return }
        var message = message
        message.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                logFunction(context, level, chars.baseAddress, UInt64(chars.count))
            }
        }
    }
}
