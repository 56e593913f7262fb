import Glibc

/// An errno value with its text.
package struct PosixError: Error, CustomStringConvertible {
    /// The errno value.
    package let code: Int32

    /// Wraps an errno value.
    ///
    /// - Parameter code: The value.
    package init(code: Int32) {
        self.code = code
    }

    /// The current `errno`.
    package static var current: PosixError { PosixError(code: errno) }

    package var description: String { String(cString: strerror(code)) + " (errno \(code))" }
}
