import HTTPTypes
import SwiftGate

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Applications the integration tests mount in a real Apache, each behaving
// in one of the ways the module must handle.

@_cdecl("swiftgate_application")
public func application() -> UnsafeMutableRawPointer {
    export(TestApp.router())
}

/// A second callable object in the same library (callable-object=).
@_cdecl("second_application")
public func secondApplication() -> UnsafeMutableRawPointer {
    export(ApplicationFunction { _ in .text("second application\n") })
}

/// An application whose factory fails: every request answers 500.
@_cdecl("failing_application")
public func failingApplication() -> UnsafeMutableRawPointer {
    export { (_: Settings) async throws -> Router in
        throw StartFailure()
    }
}

struct StartFailure: Error, CustomStringConvertible {
    var description: String { "the test application refuses to start" }
}

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom: deliberate failure" }
}

/// Counts finished requests, to show finish hooks ran once per request.
actor FinishCounter {
    static let shared = FinishCounter()
    var count = 0
    func bump() { count += 1 }
}

/// An actor that writes on the writer from its own executor.
actor ActorWriter {
    func write(_ n: Int, to writer: any ResponseBodyWriter) async throws {
        for i in 0..<n {
            try await writer.write("actor \(i)\n")
        }
    }
}

/// Adds a field to every response and registers a finish hook; used to show
/// that middleware order and finish hooks hold in a real server.
struct TagMiddleware: Middleware {
    let tag: String

    func handle(_ request: Request, next: Responder) async throws -> Response {
        await request.onFinish { await FinishCounter.shared.bump() }
        var response = try await next(request)
        let previous = response.headerFields[HTTPField.Name("X-Tags")!] ?? ""
        response.headerFields[HTTPField.Name("X-Tags")!] = previous.isEmpty ? tag : previous + "," + tag
        return response
    }
}

enum TestApp {
    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            headerFields: [.contentType: "application/json"],
            body: ResponseBody(bytes: Array(try encoder.encode(value)))
        )
    }

    static func router() -> any Application {
        var r = Router()
        r.get("/fail") { _ in throw Boom() }
        r.get("/fail-midstream") { _ in
            Response(
                body: ResponseBody { writer in
                    try await writer.write("partial body\n")
                    try await writer.flush()
                    throw Boom()
                }
            )
        }
        r.get("/short-length") { _ in
            Response(
                headerFields: [.contentLength: "100"],
                body: ResponseBody { writer in
                    try await writer.write("only ten\n\n")
                    try await writer.flush()
                }
            )
        }
        r.get("/short-unflushed") { _ in
            Response(
                headerFields: [.contentLength: "100"],
                body: ResponseBody { writer in
                    try await writer.write("only ten\n\n")
                }
            )
        }
        r.get("/long-length") { _ in
            Response(
                headerFields: [.contentLength: "5"],
                body: ResponseBody { writer in
                    try await writer.write("abc")
                    try await writer.flush()
                    try await writer.write("defghijk")
                }
            )
        }
        r.get("/long-unflushed") { _ in
            Response(
                headerFields: [.contentLength: "5"],
                body: ResponseBody { writer in
                    try await writer.write("more than five bytes\n")
                }
            )
        }
        r.get("/wrong-length-bytes") { _ in
            Response(headerFields: [.contentLength: "3"], body: ResponseBody(string: "not three"))
        }
        r.get("/split-header") { _ in
            var response = Response.text("split attempt\n")
            response.headerFields[HTTPField.Name("X-Split")!] = "a\r\nX-Injected: yes"
            return response
        }
        r.get("/sets-error-field") { _ in
            // Only a daemon's own error answers may carry this field.
            var response = Response.text("a fine answer\n")
            response.headerFields[HTTPField.Name("X-SwiftGate-Error")!] = "503"
            return response
        }
        r.get("/headers") { request in
            var fields: [String: String] = [:]
            for field in request.headerFields {
                fields[field.name.canonicalName] = field.value
            }
            return try json(fields)
        }
        r.get("/big-header") { request in
            var response = Response.text("big header\n")
            let bytes = Int(request.queryValue("bytes") ?? "") ?? 100_000
            response.headerFields[HTTPField.Name("X-Big")!] = String(repeating: "b", count: bytes)
            return response
        }
        r.get("/finished") { _ in .text("\(await FinishCounter.shared.count)\n") }
        r.get("/actor-stream") { request in
            Response(
                body: ResponseBody { writer in
                    try await ActorWriter().write(Int(request.queryValue("n") ?? "") ?? 100, to: writer)
                }
            )
        }
        r.post("/count") { request in
            var total = 0
            for try await chunk in request.body {
                total += chunk.count
            }
            return .text("\(total)\n")
        }
        r.get("/sleep") { request in
            try await Task.sleep(for: .milliseconds(Int(request.queryValue("ms") ?? "") ?? 100))
            return .text("slept\n")
        }
        addProcessRoutes(to: &r)
        addObservabilityRoutes(&r)
        let routes = r
        // /info and everything below it report the SCRIPT_NAME/PATH_INFO
        // split, at any depth.
        let app = ApplicationFunction { request in
            if request.routePath == "/info" || request.routePath.hasPrefix("/info/") {
                return try json([
                    "scriptName": request.scriptName, "pathInfo": request.pathInfo, "query": request.query,
                    "method": request.method.rawValue, "target": request.target,
                    "remoteUser": request.remoteUser ?? "", "routePath": request.routePath,
                    "applicationGroup": request.environValue(EnvironKey.applicationGroup) ?? "",
                ])
            }
            return try await routes.respond(to: request)
        }
        return MiddlewareGroup([TagMiddleware(tag: "outer"), TagMiddleware(tag: "inner")]).wrapping(app)
    }
}
