import Logging
import Metrics
import SwiftGate

// Routes the status page, crash report and metrics tests use.

extension TestApp {
    /// Bootstraps swift-log once per process, after the host made the
    /// application's logger, with a metadata provider (as a tracing library
    /// would): the host's lines must carry its metadata.
    static let bootstrapLogging: Void = LoggingSystem.bootstrap(
        { label, provider in StreamLogHandler.standardError(label: label, metadataProvider: provider) },
        metadataProvider: Logger.MetadataProvider { ["bootstrapped": "yes"] }
    )

    /// Traps of the Swift runtime, request ids, and the application's own
    /// swift-metrics.
    static func addObservabilityRoutes(_ r: inout Router) {
        r.get("/crash/fatal") { request in
            request.logger.info("about to fail")
            fatalError("the test application fails on purpose")
        }
        r.get("/crash/index") { request in
            let numbers = [1, 2, 3]
            let index = Int(request.queryValue("i") ?? "") ?? 7
            return .text("\(numbers[index])\n")
        }
        r.get("/crash/precondition") { request in
            precondition(request.queryValue("ok") == "yes", "the precondition the test breaks")
            return .text("held\n")
        }
        r.get("/environ-value") { request in
            .text((request.environValue(request.queryValue("key") ?? "") ?? "(none)") + "\n")
        }
        r.get("/request-id") { request in
            request.logger.warning("the request-id route logs this")
            return .text("\(request.id)\n")
        }
        r.get("/log/bootstrapped") { request in
            _ = bootstrapLogging
            request.logger.warning("the bootstrapped-logging route logs this")
            return .text("logged\n")
        }
        r.get("/metrics/bump") { request in
            let times = Int(request.queryValue("n") ?? "") ?? 1
            Counter(label: "testapp_bumps", dimensions: [("route", "bump")]).increment(by: times)
            Gauge(label: "testapp_last_bump").record(Double(times))
            Timer(label: "testapp_bump_seconds").recordNanoseconds(1_500_000)
            return .text("bumped \(times)\n")
        }
    }
}
