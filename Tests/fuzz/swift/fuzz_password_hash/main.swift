// libFuzzer target for PasswordHashText (Sources/SwiftGateUsers), which
// reads the stored hashes of a user table: untrusted text.
//
// The input is the stored text. The target parses it and compares the
// result with a reference reader written here on the UTF-8 bytes, the way
// Django reads the same text: split at every `$` byte, plain digits, and
// RFC 4648 base64 of exactly 32 bytes. A parsed hash must encode to the
// canonical text and read back the same. The input also builds a hash
// (salt and key from its bytes) that must survive encoding and reading.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkParsing(String(decoding: bytes, as: UTF8.self))
    checkBuilding(bytes)
    return 0
}

/// The fields of a hash, with the salt as bytes so that canonically
/// equivalent but different salts are told apart.
struct Fields: Equatable {
    var iterations: Int
    var salt: [UInt8]
    var key: [UInt8]

    init(iterations: Int, salt: [UInt8], key: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.key = key
    }

    init(_ text: PasswordHashText) {
        self.init(iterations: text.iterations, salt: Array(text.salt.utf8), key: text.key)
    }
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("check failed: \(message())\n", stderr)
        abort()
    }
}

private let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// Strict RFC 4648 base64 of exactly 32 bytes: 43 symbols, one `=`, and
/// the two bits the last symbol does not fill left zero.
func referenceKey(_ text: ArraySlice<UInt8>) -> [UInt8]? {
    let text = Array(text)
    guard text.count == 44, text[43] == UInt8(ascii: "=") else { return nil }
    var values: [UInt32] = []
    for byte in text[..<43] {
        guard let value = base64Alphabet.firstIndex(of: byte) else { return nil }
        values.append(UInt32(value))
    }
    guard values[42] & 0x3 == 0 else { return nil }
    var key: [UInt8] = []
    var accumulator: UInt32 = 0
    var bits = 0
    for value in values {
        accumulator = accumulator << 6 | value
        bits += 6
        if bits >= 8 {
            bits -= 8
            key.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
        }
    }
    return key.count == 32 ? key : nil
}

/// `pbkdf2_sha256$<1 to 8 digits: 1…10_000_000>$<1 to 256 bytes>$<key>`,
/// split at `$` bytes.
func reference(_ text: String) -> Fields? {
    let parts = Array(text.utf8).split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
    guard parts.count == 4, Array(parts[0]) == Array("pbkdf2_sha256".utf8) else { return nil }
    guard (1...8).contains(parts[1].count) else { return nil }
    var iterations = 0
    for byte in parts[1] {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        iterations = iterations * 10 + Int(byte - UInt8(ascii: "0"))
    }
    guard (1...10_000_000).contains(iterations) else { return nil }
    guard (1...256).contains(parts[2].count) else { return nil }
    guard let key = referenceKey(parts[3]) else { return nil }
    return Fields(iterations: iterations, salt: Array(parts[2]), key: key)
}

func checkParsing(_ text: String) {
    let parsed = PasswordHashText(parsing: text)
    let expected = reference(text)
    require(
        parsed.map(Fields.init) == expected,
        "\(text.debugDescription): parsed \(String(describing: parsed.map(Fields.init))), "
            + "expected \(String(describing: expected))"
    )
    guard let parsed else { return }
    // The canonical text: the same parts, the count without leading zeros.
    let keyText = Array(text.utf8).split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)[3]
    let canonical =
        "pbkdf2_sha256$\(parsed.iterations)$\(parsed.salt)$" + String(decoding: keyText, as: UTF8.self)
    require(parsed.encoded == canonical, "\(text.debugDescription) encodes as \(parsed.encoded.debugDescription)")
    let again = PasswordHashText(parsing: parsed.encoded)
    require(again.map(Fields.init) == Fields(parsed), "\(parsed.encoded.debugDescription) reads back differently")
    require(again?.encoded == parsed.encoded, "\(parsed.encoded.debugDescription) is not a fixed point")
}

/// A hash as ``PasswordHash/init(password:salt:iterations:)`` would make
/// it: a salt free of `$`, any 32-byte key.
func checkBuilding(_ bytes: [UInt8]) {
    guard bytes.count >= 3 else { return }
    let iterations = (Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])) % 10_000_000 + 1
    let rest = bytes.dropFirst(3)
    let key = Array((Array(rest.prefix(32)) + Array(repeating: 0, count: 32)).prefix(32))
    let salt = String(decoding: rest.dropFirst(32).filter { $0 != UInt8(ascii: "$") }, as: UTF8.self)
    guard !salt.isEmpty, salt.utf8.count <= 256 else { return }
    let built = PasswordHashText(iterations: iterations, salt: salt, key: key)
    let read = PasswordHashText(parsing: built.encoded)
    require(read.map(Fields.init) == Fields(built), "\(built.encoded.debugDescription) does not read back")
}
