import CSwiftGate
import Glibc

/// An opened application library.
struct ApplicationLibrary: @unchecked Sendable {
    let path: String
    let handle: UnsafeMutableRawPointer
    let start: swiftgate_start_fn
    let serve: swiftgate_handle_fn
    /// `swiftgate_check`, for libraries that answer access checks.
    let check: swiftgate_check_fn?
    /// `swiftgate_cancel`, for libraries built since it exists.
    let cancel: swiftgate_cancel_fn?
    /// `swiftgate_stop`, for libraries built with it.
    let stop: swiftgate_stop_fn?
    /// The file as it was when opened.
    let identity: FileIdentity

    /// Opens a library and checks its ABI version.
    static func open(_ path: String) -> Result<ApplicationLibrary, CacheFailure> {
        let identity = FileIdentity(path: path)
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            return .failure(CacheFailure(message: "cannot open library \(path): \(reason)"))
        }
        func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }
        guard let versionSymbol = symbol(SWIFTGATE_SYM_ABI_VERSION) else {
            return .failure(
                CacheFailure(
                    message: "library \(path) does not export \(SWIFTGATE_SYM_ABI_VERSION): not a SwiftGate application"
                )
            )
        }
        let version = unsafeBitCast(versionSymbol, to: swiftgate_abi_version_fn.self)()
        guard version == SWIFTGATE_ABI_VERSION else {
            return .failure(
                CacheFailure(
                    message: "library \(path) was built for SwiftGate ABI version \(version), "
                        + "this daemon speaks version \(SWIFTGATE_ABI_VERSION)"
                )
            )
        }
        guard let start = symbol(SWIFTGATE_SYM_START), let serve = symbol(SWIFTGATE_SYM_HANDLE) else {
            return .failure(
                CacheFailure(message: "library \(path) lacks \(SWIFTGATE_SYM_START) or \(SWIFTGATE_SYM_HANDLE)")
            )
        }
        return .success(
            ApplicationLibrary(
                path: path,
                handle: handle,
                start: unsafeBitCast(start, to: swiftgate_start_fn.self),
                serve: unsafeBitCast(serve, to: swiftgate_handle_fn.self),
                check: symbol(SWIFTGATE_SYM_CHECK).map { unsafeBitCast($0, to: swiftgate_check_fn.self) },
                cancel: symbol(SWIFTGATE_SYM_CANCEL).map { unsafeBitCast($0, to: swiftgate_cancel_fn.self) },
                stop: symbol(SWIFTGATE_SYM_STOP).map { unsafeBitCast($0, to: swiftgate_stop_fn.self) },
                identity: identity
            )
        )
    }
}
