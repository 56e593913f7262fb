import CSwiftGate
import Testing

@testable import SwiftGateDaemon

@Suite struct AccessCheckTests {
    @Test func theKindFollowsApachesRole() throws {
        func kind(_ pairs: [(String, String)]) throws -> AccessCheck.Kind {
            AccessCheck(description: try RequestDescriptionTests.describe(pairs)).kind
        }
        #expect(try kind([("FCGI_APACHE_ROLE", "AUTHENTICATOR")]) == .password)
        #expect(try kind([("FCGI_APACHE_ROLE", "AUTHORIZER"), ("SWIFTGATE_CHECK", "groups")]) == .groups)
        #expect(try kind([("FCGI_APACHE_ROLE", "AUTHORIZER")]) == .access)
        #expect(try kind([("FCGI_APACHE_ROLE", "ACCESS_CHECKER"), ("SWIFTGATE_CHECK", "groups")]) == .access)
        #expect(try kind([("FCGI_ROLE", "AUTHORIZER")]) == .access)
    }

    @Test func userAndPasswordComeFromTheirVariables() throws {
        let description = try RequestDescriptionTests.describe([
            ("FCGI_APACHE_ROLE", "AUTHENTICATOR"), ("REMOTE_USER", "ann"), ("REMOTE_PASSWD", "p\u{0}w"),
        ])
        let check = AccessCheck(description: description)
        #expect(check.user == Array("ann".utf8))
        #expect(check.password == [UInt8(ascii: "p"), 0, UInt8(ascii: "w")])
        let access = AccessCheck(
            description: try RequestDescriptionTests.describe([("REMOTE_USER", "ann"), ("REMOTE_PASSWD", "pw")])
        )
        #expect(access.user.isEmpty && access.password.isEmpty)
    }

    @Test func removingAVariableRemovesItsHeaderField() throws {
        var description = try RequestDescriptionTests.describe([
            ("HTTP_AUTHORIZATION", "Basic YTpi"), ("REMOTE_PASSWD", "b"), ("HTTP_HOST", "h"),
        ])
        description.remove("HTTP_AUTHORIZATION")
        description.remove("REMOTE_PASSWD")
        #expect(description.value("HTTP_AUTHORIZATION") == nil)
        #expect(description.value("REMOTE_PASSWD") == nil)
        #expect(description.headerFields.map(\.name) == ["Host"])
        #expect(description.value("HTTP_HOST") == "h")
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
