import SwiftGate
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// Routes the process-management fault cases use: who serves, requests
// that do or do not cooperate with cancellation, memory that grows.

/// Memory /leak keeps for the life of the process.
private let leaked = Mutex<[[UInt8]]>([])

extension TestApp {
    static func addProcessRoutes(to r: inout Router) {
        r.get("/pid") { _ in .text("\(getpid())\n") }
        r.get("/healthz") { _ in .text("healthy\n") }
        // Blocks its thread and never looks at cancellation.
        r.get("/block") { request in
            let ms = Int(request.queryValue("ms") ?? "") ?? 1000
            let clock = ContinuousClock()
            let end = clock.now + .milliseconds(ms)
            while clock.now < end { usleep(10_000) }
            return .text("blocked \(ms) ms\n")
        }
        // Computes without awaiting, but checks for cancellation.
        r.get("/spin") { request in
            let ms = Int(request.queryValue("ms") ?? "") ?? 1000
            let clock = ContinuousClock()
            let began = clock.now
            while clock.now < began + .milliseconds(ms) {
                if Task.isCancelled {
                    request.logger.info(
                        "spin \(request.queryValue("id") ?? "") saw cancellation after \(elapsed(since: began)) ms"
                    )
                    throw CancellationError()
                }
                usleep(5_000)
            }
            return .text("spun \(ms) ms\n")
        }
        // Awaits, and says when it saw cancellation.
        r.get("/wait") { request in
            let ms = Int(request.queryValue("ms") ?? "") ?? 1000
            let began = ContinuousClock.now
            do {
                try await Task.sleep(for: .milliseconds(ms))
            } catch {
                request.logger.info(
                    "wait \(request.queryValue("id") ?? "") saw cancellation after \(elapsed(since: began)) ms"
                )
                throw error
            }
            return .text("waited \(ms) ms\n")
        }
        // Keeps mib MiB more, touched so that they are resident.
        r.get("/leak") { request in
            let mib = Int(request.queryValue("mib") ?? "") ?? 1
            let total = leaked.withLock { kept in
                kept.append([UInt8](repeating: 1, count: mib << 20))
                return kept.count
            }
            return .text("\(getpid()) keeps \(total) blocks\n")
        }
    }

    private static func elapsed(since began: ContinuousClock.Instant) -> Int {
        let d = ContinuousClock.now - began
        return Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }
}
