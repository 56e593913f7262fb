import Crypto
import _CryptoExtras

/// A password hash in Django's `pbkdf2_sha256` format:
/// `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>`.
///
/// The key is PBKDF2-HMAC-SHA256 over the UTF-8 bytes of the password with
/// the UTF-8 bytes of the salt, so hashes move both ways between a Django
/// site and a SwiftGate one. Stored hashes are untrusted text: they are
/// read with the failable ``init(parsing:)``, which refuses anything but
/// this one algorithm with a sane iteration count and a 32-byte key.
public struct PasswordHash: Sendable, Equatable {
    /// The algorithm name that starts every hash.
    public static let algorithm = PasswordHashText.algorithm
    /// The iteration count of new hashes: that of the current Django
    /// release (6.1, `PBKDF2PasswordHasher.iterations`). Django raises it in
    /// most feature releases; follow it, so that a hash made here is never
    /// one Django would re-hash as weak.
    public static let defaultIterations = 1_500_000
    /// The lowest iteration count `swiftgate users` makes new hashes with:
    /// the default of the oldest Django release line that still gets
    /// security fixes, 5.2 LTS (supported to April 2028). Django 4.2 LTS
    /// (600,000) left support in April 2026; 6.0 (1,200,000) and 6.1
    /// (1,500,000) are newer. A site that shares its user table with a
    /// supported Django never needs fewer.
    public static let oldestDjangoDefaultIterations = 1_000_000
    /// The largest iteration count accepted, in a stored hash or for new
    /// ones: more would let a bad row stall a worker for minutes.
    public static let maximumIterations = PasswordHashText.maximumIterations
    /// The length of the derived key in bytes (SHA-256's digest).
    public static let keyLength = PasswordHashText.keyLength
    /// The length of a new random salt, in characters from `[a-zA-Z0-9]`:
    /// 22 of them carry the 128 bits Django asks of a salt
    /// (`salt_entropy`).
    public static let saltLength = 22
    /// The longest salt accepted in a stored hash, in bytes.
    static let maximumSaltLength = PasswordHashText.maximumSaltLength

    private static let saltAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// The PBKDF2 iteration count.
    public let iterations: Int
    /// The salt, as stored.
    public let salt: String
    /// The derived key.
    public let key: [UInt8]

    /// Reads a stored hash.
    ///
    /// Returns nil for another algorithm, a missing part, an iteration
    /// count that is not 1 to ``maximumIterations`` in plain digits, an
    /// empty or overlong salt, or a key that is not the canonical base64
    /// of ``keyLength`` bytes. The parts are split at `$` bytes, as Django
    /// splits them.
    ///
    /// - Parameter text: The stored hash.
    public init?(parsing text: String) {
        guard let text = PasswordHashText(parsing: text) else { return nil }
        self.init(iterations: text.iterations, salt: text.salt, key: text.key)
    }

    /// Hashes a password with a new random salt.
    ///
    /// - Parameters:
    ///   - password: The password.
    ///   - iterations: The PBKDF2 iteration count, 1 to
    ///     ``maximumIterations``.
    /// - Throws: ``UserStoreError/hashingFailed`` when the key derivation
    ///   fails.
    public init(password: String, iterations: Int = defaultIterations) throws(UserStoreError) {
        try self.init(password: password, salt: Self.randomSalt(), iterations: iterations)
    }

    /// Hashes a password with a given salt.
    ///
    /// - Parameters:
    ///   - password: The password.
    ///   - salt: The salt; it must not contain `$`.
    ///   - iterations: The PBKDF2 iteration count, 1 to
    ///     ``maximumIterations``.
    /// - Throws: ``UserStoreError/hashingFailed`` when the key derivation
    ///   fails.
    public init(password: String, salt: String, iterations: Int) throws(UserStoreError) {
        precondition((1...Self.maximumIterations).contains(iterations), "iteration count out of range")
        precondition(
            !salt.isEmpty && !salt.utf8.contains(UInt8(ascii: "$")),
            "a salt must be non-empty and free of '$'"
        )
        guard let key = Self.derive(password: password, salt: salt, iterations: iterations) else {
            throw .hashingFailed
        }
        self.iterations = iterations
        self.salt = salt
        self.key = key
    }

    /// A hash from its parts, unchecked.
    init(iterations: Int, salt: String, key: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.key = key
    }

    /// The hash as stored: `pbkdf2_sha256$iterations$salt$key`.
    public var encoded: String {
        PasswordHashText(iterations: iterations, salt: salt, key: key).encoded
    }

    /// Whether `password` is the one this hash was made from.
    ///
    /// Does the whole key derivation whatever the answer, and compares the
    /// keys in constant time.
    ///
    /// - Parameter password: The password to check.
    /// - Returns: true when it matches.
    public func matches(_ password: String) -> Bool {
        guard let derived = Self.derive(password: password, salt: salt, iterations: iterations) else { return false }
        return Self.constantTimeEqual(derived, key)
    }

    /// Whether a store whose new hashes use `iterations` should replace this
    /// hash after the password was checked right, as Django does: fewer
    /// iterations, or a salt shorter than Django's 128 bits of
    /// `[a-zA-Z0-9]` (``saltLength`` characters, counted as Django counts
    /// them, in code points).
    ///
    /// A hash with more iterations than `iterations` is kept: someone chose
    /// them.
    ///
    /// - Parameter iterations: The iteration count of the store's new hashes.
    /// - Returns: true when the hash should be made again.
    public func isWeaker(than iterations: Int) -> Bool {
        self.iterations < iterations || salt.unicodeScalars.count < Self.saltLength
    }

    /// PBKDF2-HMAC-SHA256, ``keyLength`` bytes; nil if BoringSSL fails.
    static func derive(password: String, salt: String, iterations: Int) -> [UInt8]? {
        guard
            let key = try? KDF.Insecure.PBKDF2.deriveKey(
                from: Array(password.utf8),
                salt: Array(salt.utf8),
                using: .sha256,
                outputByteCount: keyLength,
                unsafeUncheckedRounds: iterations
            )
        else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }

    /// Compares two byte strings without stopping at the first difference.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// A new salt of ``saltLength`` characters from `[a-zA-Z0-9]`, drawn
    /// from the system's secure random source.
    static func randomSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<saltLength).map { _ in saltAlphabet.randomElement(using: &generator)! })
    }
}
