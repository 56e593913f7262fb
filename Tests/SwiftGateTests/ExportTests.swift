import HTTPTypes
import SwiftGate
import SwiftGateTesting
import Testing

/// Adds a header field, to show the middleware ran.
private struct Stamp: Middleware {
    func handle(_ request: Request, next: Responder) async throws -> Response {
        var response = try await next(request)
        response.headerFields[HTTPField.Name("X-Stamp")!] = "1"
        return response
    }
}

@Suite struct ExportTests {
    /// Builds the application a pointer made by `export` stands for.
    private static func started(_ pointer: UnsafeMutableRawPointer) async throws -> any Application {
        let exported = ExportedApplication.fromOpaque(pointer)
        defer { Unmanaged<ExportedApplication>.fromOpaque(pointer).release() }
        return try await exported.makeApplication(settings: Settings(environment: [:]))
    }

    /// The README's way to build an application: a factory returning what
    /// `MiddlewareGroup.wrapping` returns, `any Application`. This test
    /// compiling is half of what it checks.
    @Test func aFactoryMayReturnAnyApplication() async throws {
        let pointer = export { settings in
            var router = Router()
            router.get("/") { _ in .text("hello\n") }
            return MiddlewareGroup([Stamp()]).wrapping(router)
        }
        let response = try await Self.started(pointer).test("/")
        #expect(response.text == "hello\n")
        #expect(response.headerFields[HTTPField.Name("X-Stamp")!] == "1")
    }

    @Test func aFactoryMayReturnItsOwnType() async throws {
        let pointer = export { settings in
            var router = Router()
            router.get("/") { _ in .text(settings.string("greeting", default: "hi") + "\n") }
            return router
        }
        #expect(try await Self.started(pointer).test("/").text == "hi\n")
    }

    @Test func anApplicationWithoutSettingsExports() async throws {
        let wrapped = MiddlewareGroup([Stamp()]).wrapping(ApplicationFunction { _ in .text("plain\n") })
        let response = try await Self.started(export(wrapped)).test("/")
        #expect(response.text == "plain\n")
        #expect(response.headerFields[HTTPField.Name("X-Stamp")!] == "1")
    }
}
