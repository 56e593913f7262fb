import Vapor

/// The user Apache authenticated, as a Vapor `Authenticatable`.
public struct SwiftGateUser: Authenticatable, Sendable, Equatable {
    /// The user's name as Apache set it in `REMOTE_USER`.
    public let name: String

    /// Creates a user.
    ///
    /// - Parameter name: The name.
    public init(name: String) {
        self.name = name
    }
}

/// Logs the user Apache authenticated (`REMOTE_USER`, set by `AuthType Basic`
/// with any provider, `swiftgate` among them) into `req.auth`.
///
/// Apache has already checked the password, so the authenticator only maps
/// the name to the application's user type. Add it where the application
/// asks for a user:
///
/// ```swift
/// let staff = app.grouped(RemoteUserAuthenticator(), SwiftGateUser.guardMiddleware())
/// staff.get("me") { req in try req.auth.require(SwiftGateUser.self).name }
/// ```
///
/// A request without `REMOTE_USER` passes through unauthenticated.
public struct RemoteUserAuthenticator<User: Authenticatable>: AsyncRequestAuthenticator {
    let user: @Sendable (String, Vapor.Request) async throws -> User?

    /// Maps `REMOTE_USER` to the application's user type.
    ///
    /// - Parameter user: The user with that name, or `nil` to leave the
    ///   request unauthenticated (an unknown or inactive user).
    public init(user: @escaping @Sendable (_ name: String, _ request: Vapor.Request) async throws -> User?) {
        self.user = user
    }

    public func authenticate(request: Vapor.Request) async throws {
        guard let name = request.swiftgate.remoteUser, let user = try await user(name, request) else { return }
        request.auth.login(user)
    }
}

extension RemoteUserAuthenticator where User == SwiftGateUser {
    /// Logs in a ``SwiftGateUser`` named by `REMOTE_USER`.
    public init() {
        self.init { name, _ in SwiftGateUser(name: name) }
    }
}
