import CSwiftGate
import Logging
import Synchronization
import Testing

@testable import SwiftGateRuntime

/// The lines the test host below was handed.
private let sentLines = Mutex<[String]>([])

/// A request's logger carries metadata set key by key (the request's id, a
/// framework's key), set as a whole, and given by a provider; every line
/// shows all of it, sorted by key, and the line's own metadata wins.
@Suite(.serialized) struct HostLogMetadataTests {
    private func logger(provider: Logger.MetadataProvider? = nil) -> Logger {
        HostLogHandler.logger(label: "test", host: testHost(), metadataProvider: provider)
    }

    private func testHost() -> HostServices {
        var host = swiftgate_host()
        host.struct_size = UInt32(MemoryLayout<swiftgate_host>.size)
        host.log_level = SWIFTGATE_LOG_DEBUG
        host.log = { _, _, text, length in
            let line = String(decoding: UnsafeRawBufferPointer(start: text, count: Int(length)), as: UTF8.self)
            sentLines.withLock { $0.append(line) }
        }
        let services = withUnsafePointer(to: &host) { HostServices($0) }
        sentLines.withLock { $0 = [] }
        return services
    }

    private var lines: [String] { sentLines.withLock { $0 } }

    @Test func keysSetOneByOneAreOnEveryLineSorted() {
        var log = logger()
        log[metadataKey: "request_id"] = "r1"
        log[metadataKey: "hb.request.id"] = "7"
        log.info("hello")
        #expect(lines == ["[test] hello hb.request.id=7 request_id=r1"])
        #expect(log[metadataKey: "request_id"] == "r1")
        #expect(log.handler.metadata == ["request_id": "r1", "hb.request.id": "7"])
    }

    @Test func aKeySetAgainIsReplacedAndNilRemovesIt() {
        var log = logger()
        log[metadataKey: "a"] = "1"
        log[metadataKey: "b"] = "2"
        log[metadataKey: "a"] = "3"
        log[metadataKey: "b"] = nil
        log.info("x")
        #expect(lines == ["[test] x a=3"])
        #expect(log[metadataKey: "b"] == nil)
    }

    @Test func metadataSetAsAWholeReplacesTheKeys() {
        var log = logger()
        log[metadataKey: "old"] = "1"
        log.handler.metadata = ["new": "2"]
        log.info("x")
        #expect(lines == ["[test] x new=2"])
    }

    @Test func aCopyKeepsItsOwnKeys() {
        var log = logger()
        log[metadataKey: "shared"] = "1"
        var copy = log
        copy[metadataKey: "mine"] = "2"
        log.info("original")
        copy.info("copy")
        #expect(lines == ["[test] original shared=1", "[test] copy mine=2 shared=1"])
    }

    @Test func theApplicationLoggerAsksTheBootstrappedProviderByDefault() {
        // Nothing is bootstrapped in this process: no metadata, and no line
        // lost for asking.
        HostLogHandler.logger(label: "app", host: testHost()).info("plain")
        #expect(lines == ["[app] plain"])
        let given = HostLogHandler.logger(
            label: "app",
            host: testHost(),
            metadataProvider: Logger.MetadataProvider { ["trace": "t1"] }
        )
        given.info("traced")
        #expect(lines == ["[app] traced trace=t1"])
    }

    @Test func theProviderTheLoggerAndTheLineAreMergedLineWins() {
        var log = logger(provider: Logger.MetadataProvider { ["trace": "p", "k": "provider"] })
        log[metadataKey: "k"] = "logger"
        log.info("one")
        log.info("two", metadata: ["k": "line"])
        #expect(lines == ["[test] one k=logger trace=p", "[test] two k=line trace=p"])
    }

    @Test func aProviderSetOnACopyIsTheCopysAlone() {
        let log = logger(provider: Logger.MetadataProvider { ["from": "original"] })
        var copy = log
        copy.handler.metadataProvider = Logger.MetadataProvider { ["from": "copy"] }
        log.info("a")
        copy.info("b")
        #expect(lines == ["[test] a from=original", "[test] b from=copy"])
        #expect(copy.handler.metadataProvider != nil)
    }

    /// Every request copies the application's logger and sets a key on the
    /// copy: the handler must fit the existential's inline buffer (three
    /// words), or each copy allocates a box for it.
    @Test func theHandlerFitsAnExistentialsInlineBuffer() {
        #expect(MemoryLayout<HostLogHandler>.size <= 3 * MemoryLayout<Int>.size)
    }
}
