/// The answer of ``UserStore/verify(user:password:)``.
public enum VerifyResult: Sendable, Equatable {
    /// The password is right and the account active; the associated value
    /// is the user name as stored.
    case granted(String)
    /// The user exists but the password is wrong (or the stored hash is
    /// unreadable).
    case denied
    /// The password is right but the account is inactive.
    case inactive
    /// No user has this name.
    case userNotFound
}
