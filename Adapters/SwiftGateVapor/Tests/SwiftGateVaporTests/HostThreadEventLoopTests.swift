import SwiftGate
import SwiftGateTesting
import SwiftGateVapor
import Testing
import Vapor

@Suite("A request's event loop under a host that serves it on a thread of its own")
struct HostThreadEventLoopTests {
    @Test("the handler, a timer's work and its continuation run on the host's thread")
    func onTheHostThread() async throws {
        try await withApp { app in
            let thread = QueueThread()
            let context = SwiftGate.RequestContext(thread: thread)
            let response = try await app.test("/event-loop", context: context)
            #expect(response.text == "HostThreadEventLoop true true true")
            // The handler, the timer's work and what the async middleware
            // completed all came through the thread.
            #expect(thread.posted.load(ordering: .relaxed) >= 3)
            // The same loop serves the thread's next request.
            let again = try await app.test("/todos/5", context: SwiftGate.RequestContext(thread: thread))
            #expect(again.status == .ok)
        }
    }

    @Test("work posted while the thread serves no request still runs, as on the loop")
    func lateWork() async throws {
        try await withApp { app in
            let thread = QueueThread()
            thread.serving.withLock { $0 = false }
            let response = try await app.test("/event-loop", context: SwiftGate.RequestContext(thread: thread))
            #expect(response.text == "HostThreadEventLoop true true true")
            #expect(thread.posted.load(ordering: .relaxed) == 0)
        }
    }

    @Test("without a host thread the request runs on one of Vapor's loops")
    func withoutThread() async throws {
        try await withApp { app in
            let response = try await app.test("/event-loop")
            #expect(response.text.hasSuffix(" true true true"))
            #expect(!response.text.hasPrefix("HostThreadEventLoop"))
        }
    }
}
