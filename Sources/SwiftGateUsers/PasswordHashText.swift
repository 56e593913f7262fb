import Foundation

/// The stored text of a password hash, read and written without any
/// cryptography: `pbkdf2_sha256$<iterations>$<salt>$<base64 of the key>`.
///
/// ``PasswordHash`` goes through this type for its stored form. It imports
/// nothing but Foundation so that the reading of untrusted stored text can
/// be built and fuzzed on its own (`make fuzz`).
struct PasswordHashText: Equatable, Sendable {
    /// The algorithm name that starts every hash.
    static let algorithm = "pbkdf2_sha256"
    /// The largest iteration count accepted.
    static let maximumIterations = 10_000_000
    /// The length of the key in bytes.
    static let keyLength = 32
    /// The longest salt accepted, in bytes.
    static let maximumSaltLength = 256

    /// The PBKDF2 iteration count.
    var iterations: Int
    /// The salt, as stored.
    var salt: String
    /// The derived key.
    var key: [UInt8]

    /// Makes the text form of a hash from its parts, unchecked.
    ///
    /// - Parameters:
    ///   - iterations: The iteration count.
    ///   - salt: The salt.
    ///   - key: The key.
    init(iterations: Int, salt: String, key: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.key = key
    }

    /// Reads a stored hash.
    ///
    /// Returns nil for another algorithm, a missing part, an iteration
    /// count that is not 1 to ``maximumIterations`` in plain digits, an
    /// empty or overlong salt, or a key that is not the canonical base64
    /// of ``keyLength`` bytes (padded, unused bits zero).
    ///
    /// - Parameter text: The stored hash.
    init?(parsing text: String) {
        // Split at every `$` byte, as Django does. Split at characters, a
        // `$` followed by a combining mark would be no separator, so a salt
        // starting with one would not read back.
        let parts = text.utf8.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].elementsEqual(Self.algorithm.utf8) else { return nil }
        let digits = parts[1]
        guard (1...8).contains(digits.count),
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let iterations = Int(String(decoding: digits, as: UTF8.self)),
            (1...Self.maximumIterations).contains(iterations)
        else { return nil }
        guard !parts[2].isEmpty, parts[2].count <= Self.maximumSaltLength else { return nil }
        let salt = String(decoding: parts[2], as: UTF8.self)
        // Only the one canonical base64 text of the key: Foundation also
        // takes extra padding and stray bits in the last symbol, which
        // Django, comparing whole texts, would refuse.
        let keyText = String(decoding: parts[3], as: UTF8.self)
        guard let key = Data(base64Encoded: keyText), key.count == Self.keyLength,
            key.base64EncodedString() == keyText
        else { return nil }
        self.iterations = iterations
        self.salt = salt
        self.key = Array(key)
    }

    /// The hash as stored: `pbkdf2_sha256$iterations$salt$key`.
    var encoded: String {
        "\(Self.algorithm)$\(iterations)$\(salt)$\(Data(key).base64EncodedString())"
    }
}
