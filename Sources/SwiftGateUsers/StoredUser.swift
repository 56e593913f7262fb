/// What a password check reads of a user, from either backend.
struct StoredUser: Sendable {
    var id: Int64
    var username: String
    /// The stored hash text, untrusted.
    var password: String
    var isActive: Bool
}
