import CSwiftGate
import Foundation
import SwiftGate
import Synchronization
import Testing

@testable import SwiftGateRuntime

/// Jobs a request's thread sends to Swift's global executor run on that
/// thread while the request lasts, and go to the global pool after it; a
/// request task resumed from another thread comes back to its own.
@Suite struct GlobalJobsTests {
    /// An `await` into code of no isolation, as a framework's code is.
    @concurrent @inline(never) static func hop() async {
        hops.add(1, ordering: .relaxed)
    }
    static let hops = Atomic<Int>(0)

    /// Where the last leftover task ran: true on the thread that served
    /// its request, false elsewhere; nil until it ran.
    static let leftoverOnServingThread = Mutex<Bool?>(nil)

    nonisolated(unsafe) static let app: UnsafeMutableRawPointer = {
        var router = Router()
        router.get("/unstructured") { _ in
            let here = pthread_self()
            let there = await Task { pthread_self() }.value
            return .text(pthread_equal(here, there) != 0 ? "same thread\n" : "another thread\n")
        }
        router.get("/leftover") { _ in
            let here = pthread_self()
            // Not awaited: still queued when the request ends.
            Task {
                let ranHere = pthread_equal(here, pthread_self()) != 0
                GlobalJobsTests.leftoverOnServingThread.withLock { $0 = ranHere }
            }
            return .text("started\n")
        }
        router.get("/resumed-elsewhere") { _ in
            let here = pthread_self()
            await withCheckedContinuation { (resumed: CheckedContinuation<Void, Never>) in
                // A thread Swift's pool knows nothing of, as an event loop's.
                Thread {
                    usleep(2000)
                    resumed.resume()
                }.start()
            }
            return .text(pthread_equal(here, pthread_self()) != 0 ? "same thread\n" : "another thread\n")
        }
        router.get("/sleeps") { _ in
            // Woken by a timer on Swift's pool, not on the serving thread.
            try await Task.sleep(for: .milliseconds(2))
            return .text("slept\n")
        }
        router.get("/awaits-in-a-task") { _ in
            let executor = HostThreadExecutor.current
            let before = executor.jobsTaken
            await Task {
                for _ in 0..<100 { await GlobalJobsTests.hop() }
            }.value
            return .text("\(executor.jobsTaken - before)\n")
        }
        router.get("/semaphore") { _ in
            // Blocks the serving thread until its own Task has run: the
            // Task must not wait for this thread.
            let done = DispatchSemaphore(value: 0)
            Task { done.signal() }
            done.wait()
            return .text("not stuck\n")
        }
        return RuntimeTests.start(export(router)).0!
    }()

    /// Serves `path` `times` times, expecting `answer` and every host
    /// callback on the serving thread.
    private static func expectAnswered(_ path: String, with answer: String, times: Int) async {
        for _ in 0..<times {
            let host = FakeHost(path: path)
            #expect(await host.serve(app) == SWIFTGATE_OK)
            #expect(String(decoding: host.body, as: UTF8.self) == answer)
            #expect(host.offThread == 0)
        }
    }

    @Test func anUnstructuredTaskOfARequestRunsOnItsThread() async throws {
        await Self.expectAnswered("/unstructured", with: "same thread\n", times: 20)
    }

    @Test func aRequestResumedByAnotherThreadComesBackToItsOwn() async throws {
        await Self.expectAnswered("/resumed-elsewhere", with: "same thread\n", times: 10)
    }

    @Test func aRequestWokenByATimerStillAnswersOnItsThread() async throws {
        await Self.expectAnswered("/sleeps", with: "slept\n", times: 10)
    }

    /// A job taken from the global executor runs as that executor runs it:
    /// its `await`s into code of no isolation go on in place instead of
    /// each coming back through the serving thread's queue.
    @Test func awaitsInARequestsTaskStayInPlace() async throws {
        let host = FakeHost(path: "/awaits-in-a-task")
        #expect(await host.serve(Self.app) == SWIFTGATE_OK)
        let taken = Int(String(decoding: host.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        // The task's first job and the request's resumption after it.
        #expect(taken != nil && taken! <= 4, "jobs run for 100 awaits: \(taken.map(String.init) ?? "none")")
        #expect(Self.hops.load(ordering: .relaxed) >= 100)
    }

    @Test func workARequestLeavesGoesToTheGlobalPool() async throws {
        Self.leftoverOnServingThread.withLock { $0 = nil }
        let host = FakeHost(path: "/leftover")
        #expect(await host.serve(Self.app) == SWIFTGATE_OK)
        var ranHere: Bool?
        for _ in 0..<500 where ranHere == nil {
            try await Task.sleep(for: .milliseconds(10))
            ranHere = Self.leftoverOnServingThread.withLock { $0 }
        }
        #expect(ranHere == false)
    }

    @Test func aRequestBlockedOnItsOwnTaskStillEnds() async throws {
        let host = FakeHost(path: "/semaphore")
        let answer = Mutex<Int32?>(nil)
        Task {
            let rc = await host.serve(Self.app)
            answer.withLock { $0 = rc }
        }
        for _ in 0..<1000 where answer.withLock({ $0 }) == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(answer.withLock { $0 } == SWIFTGATE_OK)
        #expect(String(decoding: host.body, as: UTF8.self) == "not stuck\n")
    }
}
