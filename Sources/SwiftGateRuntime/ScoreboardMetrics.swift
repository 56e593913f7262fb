import CSwiftGate
import CoreMetrics
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The swift-metrics backend the runtime bootstraps when the host keeps
/// metrics (mod_swiftgate): every counter, gauge, meter, recorder and timer
/// an application makes is a cell in its process's scoreboard slot, which
/// the status page reads and sums over a group's processes at `?metrics`.
///
/// Recording is one call into the host, which adds or stores the value
/// atomically in shared memory: no lock, no allocation. Making a metric
/// looks its name up in a table (under a lock) so that the same name and
/// labels always get the same cell; each thread remembers what it made, so
/// a framework that makes its metrics anew for every request (Vapor makes a
/// counter and a timer per request) finds them without the lock or the
/// name's text.
final class ScoreboardMetrics: MetricsFactory, @unchecked Sendable {
    private let host: HostServices
    private let cells = Mutex<[String: Int32]>([:])
    /// Each thread's ``ThreadCells``.
    private let threadCells: pthread_key_t

    init(host: HostServices) {
        self.host = host
        var key = pthread_key_t()
        pthread_key_create(&key) { cells in
            if let cells { Unmanaged<ThreadCells>.fromOpaque(cells).release() }
        }
        threadCells = key
    }

    /// A metric as an application names it: its label and dimensions, as
    /// given.
    private struct MetricKey: Hashable {
        let label: String
        let dimensions: [(String, String)]

        static func == (a: MetricKey, b: MetricKey) -> Bool {
            a.label == b.label && a.dimensions.elementsEqual(b.dimensions, by: ==)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(label)
            for (key, value) in dimensions {
                hasher.combine(key)
                hasher.combine(value)
            }
        }
    }

    /// The handlers one thread made, by what they were made from.
    private final class ThreadCells {
        /// At most this many are kept (an application whose dimensions take
        /// ever new values starts the thread's memory over).
        static let limit = 512
        var handlers: [MetricKey: Cell] = [:]
    }

    private var currentThreadCells: ThreadCells {
        if let existing = pthread_getspecific(threadCells) {
            return Unmanaged<ThreadCells>.fromOpaque(existing).takeUnretainedValue()
        }
        let made = ThreadCells()
        pthread_setspecific(threadCells, Unmanaged.passRetained(made).toOpaque())
        return made
    }

    private static let bootstrapped = Mutex(false)

    /// Bootstraps swift-metrics with this backend once per library, when
    /// the host keeps metrics; otherwise the application may bootstrap its
    /// own.
    static func bootstrap(_ host: HostServices) {
        guard host.metricRegister != nil, host.metricUpdate != nil else { return }
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            MetricsSystem.bootstrap(ScoreboardMetrics(host: host))
        }
    }

    /// The cell for a metric, registered on first use (-1: no room).
    private func cell(_ kind: Int32, _ label: String, _ dimensions: [(String, String)]) -> Int32 {
        let name = Self.exposition(label, dimensions)
        return cells.withLock { cells in
            if let cell = cells[name] { return cell }
            var text = name
            let cell =
                host.metricRegister.map { register in
                    text.withUTF8 { bytes in
                        bytes.withMemoryRebound(to: CChar.self) {
                            register(host.context, kind, $0.baseAddress, UInt64($0.count))
                        }
                    }
                } ?? -1
            cells[name] = cell
            return cell
        }
    }

    /// `name{key="value",...}`: the name with characters Prometheus does not
    /// allow replaced by `_`, label values escaped.
    static func exposition(_ label: String, _ dimensions: [(String, String)]) -> String {
        func name(_ text: String, colons: Bool) -> String {
            var out = ""
            for (index, scalar) in text.unicodeScalars.enumerated() {
                let letter = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
                let ok = letter || (colons && scalar == ":") || (index > 0 && ("0"..."9").contains(scalar))
                out.unicodeScalars.append(ok ? scalar : "_")
            }
            return out.isEmpty ? "_" : out
        }
        var text = name(label, colons: true)
        guard !dimensions.isEmpty else { return text }
        let labels = dimensions.map { key, value in
            var escaped = ""
            for character in value {
                switch character {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(character)
                }
            }
            return "\(name(key, colons: false))=\"\(escaped)\""
        }
        text += "{" + labels.joined(separator: ",") + "}"
        return text
    }

    private func handler(_ kind: Int32, _ label: String, _ dimensions: [(String, String)]) -> Cell {
        let key = MetricKey(label: label, dimensions: dimensions)
        let mine = currentThreadCells
        if let known = mine.handlers[key] {
            return known
        }
        let made = Cell(host: host, cell: cell(kind, label, dimensions))
        if mine.handlers.count >= ThreadCells.limit {
            mine.handlers.removeAll(keepingCapacity: true)
        }
        mine.handlers[key] = made
        return made
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        handler(SWIFTGATE_METRIC_COUNTER, label, dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        // Whole-number counters in the scoreboard: a fractional counter is
        // a gauge that only grows.
        handler(SWIFTGATE_METRIC_GAUGE, label, dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler(aggregate ? SWIFTGATE_METRIC_SUMMARY : SWIFTGATE_METRIC_GAUGE, label, dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        handler(SWIFTGATE_METRIC_GAUGE, label, dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        // Seconds, as Prometheus expects.
        handler(SWIFTGATE_METRIC_SUMMARY, label, dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    /// One metric's cell: every handler kind, since they differ only in the
    /// operation sent to the host.
    final class Cell: CounterHandler, FloatingPointCounterHandler, RecorderHandler, MeterHandler, TimerHandler,
        @unchecked Sendable
    {
        private let host: HostServices
        private let cell: Int32

        init(host: HostServices, cell: Int32) {
            self.host = host
            self.cell = cell
        }

        private func send(_ op: Int32, _ value: Double) {
            guard cell >= 0, let update = host.metricUpdate else { return }
            update(host.context, cell, op, value)
        }

        func increment(by amount: Int64) { send(SWIFTGATE_METRIC_ADD, Double(amount)) }
        func increment(by amount: Double) { send(SWIFTGATE_METRIC_ADD, amount) }
        func decrement(by amount: Double) { send(SWIFTGATE_METRIC_ADD, -amount) }
        func reset() {}
        func record(_ value: Int64) { record(Double(value)) }
        /// A recorder's cell is a summary (aggregate) or a gauge; the host
        /// observes into the one and sets the other.
        func record(_ value: Double) { send(SWIFTGATE_METRIC_OBSERVE, value) }
        func set(_ value: Int64) { send(SWIFTGATE_METRIC_SET, Double(value)) }
        func set(_ value: Double) { send(SWIFTGATE_METRIC_SET, value) }
        func recordNanoseconds(_ duration: Int64) { send(SWIFTGATE_METRIC_OBSERVE, Double(duration) / 1e9) }
    }
}
