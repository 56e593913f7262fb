/// Thrown by an ``AuthProvider`` check when a service it needs (the user
/// store's database) cannot be reached: Apache answers 503 Service
/// Unavailable, never "denied", and logs the reason.
///
/// Any other error a check throws is answered with 500. Hosts built before
/// this error existed answer it with 500 too.
public struct AuthUnavailable: Error, Sendable, CustomStringConvertible {
    /// Why the check could not be made (logged, never sent to the client);
    /// it must not hold secrets such as a database password.
    public var reason: String

    /// Makes the error.
    ///
    /// - Parameter reason: Why the check could not be made.
    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { "unavailable: \(reason)" }
}
