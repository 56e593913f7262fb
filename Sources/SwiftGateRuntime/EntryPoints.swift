import CSwiftGate
import Logging
import SwiftGate
import Synchronization

// The C entry points mod_swiftgate looks up in an application library.
// Their signatures are the typedefs in swiftgate.h.

/// `swiftgate_abi_version`: the ABI this library was built against.
@_cdecl("swiftgate_abi_version")
public func swiftgate_abi_version() -> UInt32 {
    SWIFTGATE_ABI_VERSION
}

/// `swiftgate_start`: loads the process's settings and builds the exported
/// application, on the calling thread. Returns a retained handle, or nil
/// with a message in `errbuf`.
@_cdecl("swiftgate_start")
public func swiftgate_start(
    _ exported: UnsafeMutableRawPointer?,
    _ info: UnsafePointer<swiftgate_app_info>?,
    _ errbuf: UnsafeMutablePointer<CChar>?,
    _ errlen: UInt64
) -> UnsafeMutableRawPointer? {
    guard let exported, let info else {
        copyMessage("swiftgate_start called without an application", errbuf, errlen)
        return nil
    }
    let host = HostServices(info.pointee.host)
    ScoreboardMetrics.bootstrap(host)
    let callable = info.pointee.callable.map { String(cString: $0) } ?? ""
    let group = info.pointee.application_group.map { String(cString: $0) } ?? ""
    var logger = HostLogHandler.logger(label: callable, host: host)
    if !group.isEmpty {
        logger[metadataKey: "group"] = "\(group)"
    }
    let application = ExportedApplication.fromOpaque(exported)
    let started: Result<any Application, any Error> = HostThreadExecutor.current.run { [logger] in
        do {
            let settings = try await Settings.load()
            if let path = settings.path {
                logger.debug("settings loaded from \(path)")
            }
            return .success(try await application.makeApplication(settings: settings))
        } catch {
            return .failure(error)
        }
    }
    switch started {
    case .success(let app):
        let running = RunningApplication(application: app, host: host, logger: logger, callable: callable)
        return Unmanaged.passRetained(running).toOpaque()
    case .failure(let error):
        copyMessage("\(error)", errbuf, errlen)
        return nil
    }
}

/// `swiftgate_handle`: serves one request on the calling host thread.
@_cdecl("swiftgate_handle")
public func swiftgate_handle(
    _ app: UnsafeMutableRawPointer?,
    _ request: UnsafePointer<swiftgate_request>?
) -> Int32 {
    guard let app, let request else { return 500 }
    let running = Unmanaged<RunningApplication>.fromOpaque(app).takeUnretainedValue()
    let executor = HostThreadExecutor.current
    let bridge = HostRequestBridge(request: request, executor: executor)
    defer { bridge.close() }
    let (environ, headers) = bridge.describe()
    let outcome = executor.run(
        request: UInt(bitPattern: request),
        clientGone: bridge.clientGonePoll,
        keepsGlobalJobs: true
    ) {
        let described: Request
        do {
            described = try Request(
                environ: environ,
                headers: headers,
                body: RequestBody(source: bridge),
                context: RequestContext(logger: running.logger, thread: executor)
            )
        } catch {
            running.logger.error("bad request description: \(error)")
            return ServeOutcome.failedBeforeHead(status: 400)
        }
        return await running.application.serve(described, to: bridge)
    }
    switch outcome {
    case .complete: return SWIFTGATE_OK
    case .failedBeforeHead(let status): return Int32(status)
    case .failedAfterHead: return 500
    }
}

/// `swiftgate_cancel`: cancels the task serving `request`, from any thread,
/// while its `swiftgate_handle` runs (the host makes sure of that).
@_cdecl("swiftgate_cancel")
public func swiftgate_cancel(
    _ app: UnsafeMutableRawPointer?,
    _ request: UnsafePointer<swiftgate_request>?
) -> Int32 {
    guard let request else { return 0 }
    return HostThreadExecutor.cancel(request: UInt(bitPattern: request)) ? 1 : 0
}

/// `swiftgate_stop`: runs the application's `shutdown()` and waits for it
/// at most `timeoutMilliseconds`, then releases the handle.
///
/// The shutdown runs on the calling host thread, as `swiftgate_start` does
/// (the cooperative pool may be busy or blocked); a timer task ends the
/// wait at the deadline, so an application that ignores it cannot hold the
/// host: its shutdown goes on, on the global pool, while the process ends.
@_cdecl("swiftgate_stop")
public func swiftgate_stop(_ app: UnsafeMutableRawPointer?, _ timeoutMilliseconds: UInt32) {
    guard let app else { return }
    let running = Unmanaged<RunningApplication>.fromOpaque(app).takeRetainedValue()
    let application = running.application
    let executor = HostThreadExecutor.current
    let stopped = executor.run {
        await withCheckedContinuation { (finished: CheckedContinuation<Bool, Never>) in
            let first = FirstAnswer(finished)
            Task(executorPreference: executor) {
                await application.shutdown()
                first.answer(true)
            }
            Task(executorPreference: executor) {
                try? await Task.sleep(for: .milliseconds(Int(timeoutMilliseconds)))
                first.answer(false)
            }
        }
    }
    if stopped {
        running.logger.debug("application stopped")
    } else {
        running.logger.warning("the application did not stop within \(timeoutMilliseconds) ms; exiting without it")
    }
}

/// Resumes a continuation with the first answer given; later ones are
/// dropped.
private final class FirstAnswer: Sendable {
    private let continuation: Mutex<CheckedContinuation<Bool, Never>?>

    init(_ continuation: CheckedContinuation<Bool, Never>) {
        self.continuation = Mutex(continuation)
    }

    func answer(_ value: Bool) {
        continuation.withLock { waiting in
            waiting?.resume(returning: value)
            waiting = nil
        }
    }
}

private func copyMessage(_ message: String, _ buffer: UnsafeMutablePointer<CChar>?, _ length: UInt64) {
    guard let buffer, length > 0 else { return }
    let utf8 = Array(message.utf8.prefix(Int(length) - 1))
    utf8.withUnsafeBufferPointer { source in
        UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress!, byteCount: source.count)
    }
    buffer[utf8.count] = 0
}
