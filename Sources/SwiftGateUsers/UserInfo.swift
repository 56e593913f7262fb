import Foundation

/// What ``UserStore/users()`` tells about one user.
public struct UserInfo: Sendable, Equatable {
    /// The user name, as stored.
    public var name: String
    /// Whether the account may log in.
    public var isActive: Bool
    /// The user's groups, sorted.
    public var groups: [String]
    /// When the user was created, if known.
    public var created: Date?
    /// When ``UserStore/recordLogin(_:)`` last ran for the user, if ever.
    public var lastLogin: Date?

    /// Makes a description of a user.
    ///
    /// - Parameters:
    ///   - name: The user name.
    ///   - isActive: Whether the account may log in.
    ///   - groups: The groups, sorted.
    ///   - created: When the user was created.
    ///   - lastLogin: When the user last logged in.
    public init(name: String, isActive: Bool, groups: [String], created: Date? = nil, lastLogin: Date? = nil) {
        self.name = name
        self.isActive = isActive
        self.groups = groups
        self.created = created
        self.lastLogin = lastLogin
    }
}
