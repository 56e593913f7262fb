/// Thrown by a request body read or a response write when the client has
/// gone away: it closed its connection, or the front-end gave the request up.
///
/// Nothing is wrong with the application: the gateway logs a request that
/// ends this way (or because its task was cancelled) at info level, not as
/// an application error. Code that catches it has nobody left to answer.
public struct ClientDisconnected: Error, Sendable, CustomStringConvertible {
    /// What the application was doing when it found out.
    public let during: String

    /// Creates the error.
    ///
    /// - Parameter during: What was being done, such as "reading the
    ///   request body".
    public init(during: String) {
        self.during = during
    }

    public var description: String { "the client went away (\(during))" }
}
