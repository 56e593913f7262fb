import CSwiftGate
import Logging
import Synchronization
import Testing

@testable import SwiftGateRuntime

/// The levels of the lines the test host below was handed.
private let sentLevels = Mutex<[Int32]>([])

/// The level a host's log keeps is the level of the applications' loggers:
/// a line the host would drop is never formatted.
@Suite struct HostLogLevelTests {
    private func services(structSize: Int, level: Int32) -> HostServices {
        var host = swiftgate_host()
        host.struct_size = UInt32(structSize)
        host.log_level = level
        host.log = { _, level, _, _ in sentLevels.withLock { $0.append(level) } }
        return withUnsafePointer(to: &host) { HostServices($0) }
    }

    @Test func aHostThatSaysNoLevelKeepsInfo() {
        // The size of the struct before the level was added.
        #expect(services(structSize: 40, level: SWIFTGATE_LOG_ERR).logLevel == .info)
    }

    @Test func theHostsLevelBecomesTheLoggersLevel() {
        let size = MemoryLayout<swiftgate_host>.size
        let expected: [(Int32, Logger.Level)] = [
            (SWIFTGATE_LOG_DEBUG, .trace), (SWIFTGATE_LOG_INFO, .info), (SWIFTGATE_LOG_NOTICE, .notice),
            (SWIFTGATE_LOG_WARNING, .warning), (SWIFTGATE_LOG_ERR, .error), (SWIFTGATE_LOG_CRIT, .critical),
            (SWIFTGATE_LOG_EMERG, .critical),
        ]
        for (level, logger) in expected {
            #expect(services(structSize: size, level: level).logLevel == logger)
        }
    }

    @Test func linesAboveTheHostsLevelAreNotSent() {
        let host = services(structSize: MemoryLayout<swiftgate_host>.size, level: SWIFTGATE_LOG_WARNING)
        let logger = Logger(label: "test") { HostLogHandler(label: $0, host: host) }
        sentLevels.withLock { $0 = [] }
        logger.info("dropped")
        logger.warning("kept")
        logger.error("kept too")
        #expect(sentLevels.withLock { $0 } == [SWIFTGATE_LOG_WARNING, SWIFTGATE_LOG_ERR])
    }
}
