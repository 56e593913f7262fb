import Glibc

/// Starts plain pthreads, so that a request blocked in an application never
/// holds a thread of Swift's cooperative pool.
package enum PosixThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>?) -> Int32

    /// pthread_setname_np, a GNU extension Glibc's Swift module leaves out.
    private static let setName: SetName? = {
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "pthread_setname_np") else { return nil }
        return unsafeBitCast(symbol, to: SetName.self)
    }()

    /// Starts a thread running `body`.
    ///
    /// - Parameters:
    ///   - name: The thread's name (at most 15 bytes are kept).
    ///   - body: What the thread runs.
    /// - Returns: The thread, or the error number when it could not start.
    package static func spawn(name: String, _ body: @escaping () -> Void) -> Result<pthread_t, PosixError> {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread,
            nil,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            },
            box
        )
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return .failure(PosixError(code: rc))
        }
        if let setName {
            _ = setName(thread, String(decoding: name.utf8.prefix(15), as: UTF8.self))
        }
        return .success(thread)
    }
}
