import CSwiftGate
import Glibc

/// The application libraries this process opened and the application
/// instances it started, each once.
///
/// A library is opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` (never
/// unloaded, its symbols kept to itself: every application library carries
/// its own copy of the runtime) and its ABI version checked. An instance (a
/// library, a callable object, an application group) is started with
/// `swiftgate_start` on the first thread that needs it.
package final class ApplicationRegistry: @unchecked Sendable {
    private let log: HostLog
    private let processGroup: String
    private let libraries = OnceCache<String, ApplicationLibrary>()
    private let instances = OnceCache<ApplicationKey, StartedApplication>()

    package init(log: HostLog, processGroup: String) {
        self.log = log
        self.processGroup = processGroup
    }

    /// The started instance for `key`, starting it (and opening its
    /// library) if this is the first request for it.
    package func application(for key: ApplicationKey) -> Result<StartedApplication, CacheFailure> {
        instances.value(for: key) {
            let started = library(key.library).flatMap { start(key, in: $0) }
            if case .failure(let failure) = started {
                log.error("cannot start application \(key): \(failure.message)")
            }
            return started
        }
    }

    /// The libraries whose file changed since they were opened, with what
    /// changed.
    package func changedLibraries() -> [String] {
        libraries.values.compactMap { library in
            let now = FileIdentity(path: library.path)
            guard now != library.identity else { return nil }
            return "\(library.path) changed on disk (\(library.identity.difference(to: now)))"
        }
    }

    /// Stops every started application (its `shutdown()`), one after the
    /// other, giving all of them together at most `timeoutMilliseconds`.
    /// Call once, after the last request ended; the instances must not
    /// serve afterwards.
    package func stopAll(timeoutMilliseconds: UInt64) {
        let deadline = PosixClock.monotonicMilliseconds() + timeoutMilliseconds
        for instance in instances.values {
            guard let stop = instance.stop else { continue }
            let left = deadline.subtractingReportingOverflow(PosixClock.monotonicMilliseconds())
            stop(instance.handle, UInt32(clamping: left.overflow ? 0 : left.partialValue))
        }
    }

    private func library(_ path: String) -> Result<ApplicationLibrary, CacheFailure> {
        libraries.value(for: path) { ApplicationLibrary.open(path) }
    }

    private func start(
        _ key: ApplicationKey,
        in library: ApplicationLibrary
    ) -> Result<StartedApplication, CacheFailure> {
        guard let symbol = dlsym(library.handle, key.callable) else {
            return .failure(CacheFailure(message: "library \(key.library) has no callable object '\(key.callable)'"))
        }
        let callable = unsafeBitCast(symbol, to: swiftgate_callable_fn.self)
        guard let exported = callable() else {
            return .failure(CacheFailure(message: "callable object '\(key.callable)' returned no application"))
        }
        var message = [CChar](repeating: 0, count: 1024)
        let handle = key.library.withCString { libraryPath in
            key.callable.withCString { callableName in
                key.group.withCString { group in
                    processGroup.withCString { processGroupName in
                        var info = swiftgate_app_info()
                        info.struct_size = UInt32(MemoryLayout<swiftgate_app_info>.size)
                        info.library_path = libraryPath
                        info.callable = callableName
                        info.application_group = group
                        info.process_group = processGroupName
                        info.host = log.host
                        return library.start(exported, &info, &message, UInt64(message.count))
                    }
                }
            }
        }
        guard let handle else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(CacheFailure(message: text.isEmpty ? "swiftgate_start failed" : text))
        }
        log.info("started application \(key)")
        return .success(
            StartedApplication(
                handle: handle,
                serve: library.serve,
                check: library.check,
                cancel: library.cancel,
                stop: library.stop,
                name: key.description
            )
        )
    }
}

/// A started application instance: its handle and the library's
/// `swiftgate_handle` and `swiftgate_check`.
package struct StartedApplication: @unchecked Sendable {
    package let handle: UnsafeMutableRawPointer
    package let serve: swiftgate_handle_fn
    /// nil when the library does not answer access checks.
    package let check: swiftgate_check_fn?
    /// nil when the library cannot cancel a request's task.
    package let cancel: swiftgate_cancel_fn?
    /// nil when the library has no `swiftgate_stop`.
    package let stop: swiftgate_stop_fn?
    /// The instance's key, for log lines.
    package let name: String
}
