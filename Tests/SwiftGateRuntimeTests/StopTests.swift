import CSwiftGate
import Foundation
import HTTPTypes
import SwiftGate
import SwiftGateRuntime
import Synchronization
import Testing

/// An application that records its shutdown, optionally after a delay.
struct StoppableApplication: Application {
    let stopped: StopCounters
    let delay: Duration

    init(delay: Duration = .zero, stopped: StopCounters) {
        self.delay = delay
        self.stopped = stopped
    }

    func respond(to request: Request) async throws -> Response { .text("ok\n") }

    func shutdown() async {
        try? await Task.sleep(for: delay)
        stopped.count.withLock { $0 += 1 }
    }
}

/// Shared so that the factories (which must be Sendable) can reach them.
final class StopCounters: Sendable {
    static let quick = StopCounters()
    static let wrapped = StopCounters()
    static let slow = StopCounters()
    let count = Mutex(0)
}

/// Calls `swiftgate_stop` on a thread of its own, as hosts do (an Apache or
/// daemon thread): blocking a thread of Swift's cooperative pool, which the
/// test runs on, could starve the shutdown task it waits for.
func stopOnHostThread(_ app: UnsafeMutableRawPointer, _ timeoutMilliseconds: UInt32) async {
    let handle = UncheckedPointer(pointer: app)
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Thread {
            swiftgate_stop(handle.pointer, timeoutMilliseconds)
            done.resume()
        }.start()
    }
}

@Suite struct StopTests {
    @Test func swiftgateStopRunsTheApplicationsShutdownOnce() async throws {
        let exported = export { _ in StoppableApplication(stopped: StopCounters.quick) }
        let app = try #require(RuntimeTests.start(exported).0)
        await stopOnHostThread(app, 5000)
        #expect(StopCounters.quick.count.withLock { $0 } == 1)
    }

    @Test func middlewareHandsShutdownToTheApplicationInside() async throws {
        struct PassThrough: Middleware {
            func handle(_ request: Request, next: Responder) async throws -> Response { try await next(request) }
        }
        let exported = export { _ in
            MiddlewareGroup([PassThrough(), PassThrough()])
                .wrapping(StoppableApplication(stopped: StopCounters.wrapped))
        }
        let app = try #require(RuntimeTests.start(exported).0)
        await stopOnHostThread(app, 5000)
        #expect(StopCounters.wrapped.count.withLock { $0 } == 1)
    }

    @Test func aShutdownPastTheDeadlineDoesNotHoldTheHost() async throws {
        let exported = export { _ in StoppableApplication(delay: .seconds(30), stopped: StopCounters.slow) }
        let app = try #require(RuntimeTests.start(exported).0)
        let started = ContinuousClock.now
        await stopOnHostThread(app, 200)
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200))
        #expect(waited < .seconds(10))
        #expect(StopCounters.slow.count.withLock { $0 } == 0)
    }

    @Test func anApplicationWithoutShutdownStopsAtOnce() async throws {
        let app = try #require(RuntimeTests.start(export { _ in Router() }).0)
        await stopOnHostThread(app, 5000)
    }
}
