import Glibc

/// An errno value with its text.
struct PosixError: Error, CustomStringConvertible {
    let code: Int32

    /// The current `errno`.
    static var current: PosixError { PosixError(code: errno) }

    var description: String { String(cString: strerror(code)) + " (errno \(code))" }
}
