import SwiftGateFastCGI
import Testing

@testable import SwiftGateDaemon

@Suite struct AccessCheckTests {
    static func describe(_ pairs: [(String, String)]) throws -> RequestDescription {
        let (bytes, spans) = try HostSecretTests.params(pairs)
        return RequestDescription(params: bytes, spans: spans)
    }

    @Test func theKindFollowsApachesRole() throws {
        func kind(_ pairs: [(String, String)]) throws -> AccessCheck.Kind {
            AccessCheck(description: try Self.describe(pairs)).kind
        }
        #expect(try kind([("FCGI_APACHE_ROLE", "AUTHENTICATOR")]) == .password)
        #expect(try kind([("FCGI_APACHE_ROLE", "AUTHORIZER"), ("SWIFTGATE_CHECK", "groups")]) == .groups)
        #expect(try kind([("FCGI_APACHE_ROLE", "AUTHORIZER")]) == .access)
        #expect(try kind([("FCGI_APACHE_ROLE", "ACCESS_CHECKER"), ("SWIFTGATE_CHECK", "groups")]) == .access)
        #expect(try kind([("FCGI_ROLE", "AUTHORIZER")]) == .access)
    }

    @Test func userAndPasswordComeFromTheirVariables() throws {
        let description = try Self.describe([
            ("FCGI_APACHE_ROLE", "AUTHENTICATOR"), ("REMOTE_USER", "ann"), ("REMOTE_PASSWD", "p\u{0}w"),
        ])
        let check = AccessCheck(description: description)
        #expect(check.user == Array("ann".utf8))
        #expect(check.password == [UInt8(ascii: "p"), 0, UInt8(ascii: "w")])
        let access = AccessCheck(
            description: try Self.describe([("REMOTE_USER", "ann"), ("REMOTE_PASSWD", "pw")])
        )
        #expect(access.user.isEmpty && access.password.isEmpty)
    }

    @Test func responsesHaveAnEmptyBody() {
        let denied = String(decoding: AccessCheck.response(status: 401), as: UTF8.self)
        #expect(denied == "Status: 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\n")
        let granted = String(
            decoding: AccessCheck.response(status: 200, fields: [("Variable-REMOTE_USER", Array("Ann".utf8))]),
            as: UTF8.self
        )
        #expect(granted == "Status: 200 OK\r\nContent-Type: text/plain\r\nVariable-REMOTE_USER: Ann\r\n\r\n")
    }
}
