import SwiftGateFastCGI
import Testing

@testable import SwiftGateDaemon

@Suite struct HostSecretTests {
    static func params(_ pairs: [(String, String)]) throws -> ([UInt8], [FastCGIPairSpan]) {
        var bytes: [UInt8] = []
        for (name, value) in pairs { FastCGINameValue.append(name: name, value: value, into: &bytes) }
        return (bytes, try FastCGINameValue.decode(bytes))
    }

    static func names(_ bytes: [UInt8], _ spans: [FastCGIPairSpan]) -> [String] {
        spans.map { String(decoding: bytes[$0.name], as: UTF8.self) }
    }

    @Test func theRightSecretIsAdmittedAndTakenOut() throws {
        let (bytes, spans) = try Self.params([("swiftgate.secret", "s3cret"), ("REQUEST_METHOD", "GET")])
        let admitted = try #require(HostSecret(Array("s3cret".utf8)).admit(bytes, spans))
        #expect(Self.names(bytes, admitted) == ["REQUEST_METHOD"])
    }

    @Test func theSecretMayStandAnywhere() throws {
        let (bytes, spans) = try Self.params([("REQUEST_METHOD", "GET"), ("swiftgate.secret", "s3cret")])
        let admitted = try #require(HostSecret(Array("s3cret".utf8)).admit(bytes, spans))
        #expect(Self.names(bytes, admitted) == ["REQUEST_METHOD"])
    }

    @Test(arguments: [nil, "", "s3cre", "s3cret!", "S3cret", "x3cret"])
    func aMissingOrWrongSecretIsRefused(_ sent: String?) throws {
        var pairs = [("REQUEST_METHOD", "GET")]
        if let sent { pairs.insert(("swiftgate.secret", sent), at: 0) }
        let (bytes, spans) = try Self.params(pairs)
        #expect(HostSecret(Array("s3cret".utf8)).admit(bytes, spans) == nil)
    }

    @Test func withoutASecretEveryRequestIsAdmittedAndTheParameterStillHidden() throws {
        let (bytes, spans) = try Self.params([("swiftgate.secret", "guess"), ("REQUEST_METHOD", "GET")])
        let admitted = try #require(HostSecret([]).admit(bytes, spans))
        #expect(Self.names(bytes, admitted) == ["REQUEST_METHOD"])
        let (plain, plainSpans) = try Self.params([("REQUEST_METHOD", "GET")])
        #expect(HostSecret([]).admit(plain, plainSpans) == plainSpans)
    }

    @Test func theCGIStyleNameIsAdmittedAndTakenOutToo() throws {
        let (bytes, spans) = try Self.params([("REQUEST_METHOD", "GET"), ("SWIFTGATE_SECRET", "s3cret")])
        let admitted = try #require(HostSecret(Array("s3cret".utf8)).admit(bytes, spans))
        #expect(Self.names(bytes, admitted) == ["REQUEST_METHOD"])
    }

    @Test func aClientHeaderOfThatNameProvesNothing() throws {
        let (bytes, spans) = try Self.params([("REQUEST_METHOD", "GET"), ("HTTP_SWIFTGATE_SECRET", "s3cret")])
        #expect(HostSecret(Array("s3cret".utf8)).admit(bytes, spans) == nil)
    }

    @Test func everyPairNamedAsTheSecretMustHoldItAndNoneReachesTheApplication() throws {
        let secret = HostSecret(Array("s3cret".utf8))
        let (bytes, spans) = try Self.params([
            ("swiftgate.secret", "s3cret"), ("REQUEST_METHOD", "GET"), ("SWIFTGATE_SECRET", "guess"),
        ])
        #expect(secret.admit(bytes, spans) == nil)
        let (both, bothSpans) = try Self.params([
            ("swiftgate.secret", "s3cret"), ("REQUEST_METHOD", "GET"), ("SWIFTGATE_SECRET", "s3cret"),
        ])
        let admitted = try #require(secret.admit(both, bothSpans))
        #expect(Self.names(both, admitted) == ["REQUEST_METHOD"])
        let (open, openSpans) = try Self.params([("SWIFTGATE_SECRET", "x"), ("REQUEST_METHOD", "GET")])
        #expect(Self.names(open, try #require(HostSecret([]).admit(open, openSpans))) == ["REQUEST_METHOD"])
    }
}
