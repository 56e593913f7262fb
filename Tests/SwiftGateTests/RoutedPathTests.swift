import Testing

@testable import SwiftGate

@Suite("The path below the mount point, as the client encoded it")
struct RoutedPathTests {
    @Test(
        "the client's encoding below the mount is kept",
        arguments: [
            ("/app/a%20b/c", "/app", "/a b/c", "/a%20b/c"),
            ("/my%20app/x%2Fy", "/my app", "/x/y", "/x%2Fy"),
            ("/a%2fb", "", "/a/b", "/a%2fb"),
            ("/app", "/app", "", ""),
            ("/", "", "/", "/"),
            ("/app/%zz", "/app", "/%zz", "/%zz"),
        ]
    )
    func kept(target: String, scriptName: String, pathInfo: String, expected: String) {
        #expect(RoutedPath.encodedPath(target: target, scriptName: scriptName, pathInfo: pathInfo) == expected)
    }

    @Test(
        "a target that does not decode to the mount and PATH_INFO gives PATH_INFO encoded",
        arguments: [
            ("/app/x/../b c", "/app", "/b c", "/b%20c"),
            ("/app//todos", "/app", "/todos", "/todos"),
            ("/other/todos", "/app", "/todos", "/todos"),
            ("/app/caf%C3", "/app", "/café", "/caf%C3%A9"),
        ]
    )
    func reencoded(target: String, scriptName: String, pathInfo: String, expected: String) {
        #expect(RoutedPath.encodedPath(target: target, scriptName: scriptName, pathInfo: pathInfo) == expected)
    }

    @Test("the query follows the path; an empty path is /")
    func pathAndQuery() {
        #expect(RoutedPath.pathAndQuery(target: "/app?a=1", scriptName: "/app", pathInfo: "", query: "a=1") == "/?a=1")
        #expect(RoutedPath.pathAndQuery(target: "/t", scriptName: "", pathInfo: "/t", query: "") == "/t")
    }
}
