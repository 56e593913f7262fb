import CSwiftGate
import Glibc
import SwiftGateFastCGI
import Testing

@Suite struct RequestDescriptionTests {
    static func describe(_ pairs: [(String, String)]) throws -> RequestDescription {
        var bytes: [UInt8] = []
        for (name, value) in pairs { FastCGINameValue.append(name: name, value: value, into: &bytes) }
        return RequestDescription(params: bytes, spans: try FastCGINameValue.decode(bytes))
    }

    @Test func headerFieldsAreRebuiltFromCGIVariables() throws {
        let description = try Self.describe([
            ("REQUEST_METHOD", "POST"), ("HTTP_HOST", "example.org"), ("HTTP_X_FOO_BAR", "baz"),
            ("HTTP_ACCEPT_ENCODING", "gzip"), ("CONTENT_TYPE", "text/plain"), ("CONTENT_LENGTH", ""),
            ("HTTPS", "on"), ("HTTP_", "nameless"),
        ])
        let fields = description.headerFields.map { "\($0.name): \($0.value)" }
        #expect(fields == ["Host: example.org", "X-Foo-Bar: baz", "Accept-Encoding: gzip", "Content-Type: text/plain"])
    }

    @Test func gatewayKeysAreAddedWhenMissing() throws {
        var description = try Self.describe([("HTTPS", "on"), ("swiftgate.process_group", "forged")])
        description.addGatewayKeys(processGroup: "site1", callable: "app", applicationGroup: "", threads: 4)
        #expect(description.value("swiftgate.url_scheme") == "https")
        #expect(description.value("swiftgate.multithread") == "1")
        #expect(description.value("swiftgate.multiprocess") == "1")
        #expect(description.value("swiftgate.version") == "1.0")
        #expect(description.value("swiftgate.process_group") == "site1")
        #expect(description.value("swiftgate.callable_object") == "app")
        #expect(description.value("swiftgate.application_group") == "")
        let names = description.environ.map { String(decoding: description.storage[$0.name], as: UTF8.self) }
        #expect(names.filter { $0 == "swiftgate.process_group" }.count == 1)
    }

    @Test func gatewayKeysFromTheFrontEndAreKept() throws {
        var description = try Self.describe([
            ("REQUEST_SCHEME", "http"), ("swiftgate.url_scheme", "https"), ("swiftgate.multithread", "0"),
        ])
        description.addGatewayKeys(processGroup: "", callable: "app", applicationGroup: "g", threads: 8)
        #expect(description.value("swiftgate.url_scheme") == "https")
        #expect(description.value("swiftgate.multithread") == "0")
    }

    @Test func removingAVariableRemovesItsHeaderField() throws {
        var description = try Self.describe([
            ("HTTP_AUTHORIZATION", "Basic YTpi"), ("REMOTE_PASSWD", "b"), ("HTTP_HOST", "h"),
        ])
        description.remove("HTTP_AUTHORIZATION")
        description.remove("REMOTE_PASSWD")
        #expect(description.value("HTTP_AUTHORIZATION") == nil)
        #expect(description.value("REMOTE_PASSWD") == nil)
        #expect(description.headerFields.map(\.name) == ["Host"])
        #expect(description.value("HTTP_HOST") == "h")
    }

    @Test func pairsPointAtTheRightBytes() throws {
        var description = try Self.describe([("REQUEST_METHOD", "HEAD"), ("HTTP_X_A", "1")])
        description.set("EXTRA", "yes")
        #expect(description.isHeadOnly)
        let seen = description.withPairs { environ, headers in
            (environ.map(Self.string), headers.map(Self.string))
        }
        #expect(seen.0 == ["REQUEST_METHOD=HEAD", "HTTP_X_A=1", "EXTRA=yes"])
        #expect(seen.1 == ["X-A=1"])
    }

    @Test func namesAndValuesAreNULTerminated() throws {
        let description = try Self.describe([("PATH_INFO", "/x"), ("HTTP_ACCEPT", "*/*")])
        description.withPairs { environ, headers in
            for pair in Array(environ) + Array(headers) {
                #expect(pair.name[Int(pair.name_len)] == 0)
                #expect(pair.value[Int(pair.value_len)] == 0)
                #expect(strlen(pair.name) == Int(pair.name_len))
            }
        }
    }

    static func string(_ pair: swiftgate_pair) -> String {
        let name = UnsafeRawBufferPointer(start: pair.name, count: Int(pair.name_len))
        let value = UnsafeRawBufferPointer(start: pair.value, count: Int(pair.value_len))
        return String(decoding: name, as: UTF8.self) + "=" + String(decoding: value, as: UTF8.self)
    }
}
