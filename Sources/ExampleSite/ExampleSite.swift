import HTTPTypes
import SwiftGate
import SwiftGateUsers

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The example site: a home page, the request's environ as JSON, an echo
/// endpoint that streams a POST body back, a chunked stream, and notes kept
/// in SQLite at the settings' `database.path` or in the database of
/// `database.url` (a path or a `postgres://` URL); `/admin` (behind basic
/// auth in the Apache configuration) lists the notes and the users of the
/// user store at `users.url` (a `postgres://` URL, so that every host of a
/// site checks passwords against one store) or `users.path`; `/auth`
/// checks basic auth against that store for a front-end without an auth
/// module of its own (nginx's `auth_request`). With `site.instance` set,
/// every response names it in `X-Served-By`, so a site behind a balancer
/// shows which backend answered.
///
/// A PostgreSQL database that is down answers 503 (pages and password
/// checks alike), never an empty list or "denied".
struct ExampleSite: Application {
    let router: Router
    let users: UserStore?
    let instance: String?

    init(settings: Settings) async throws {
        let notes = try NoteStore(
            url: settings.string("database.url") ?? settings.string("database.path", default: ":memory:")
        )
        let users = try (settings.string("users.url") ?? settings.string("users.path")).map {
            try UserStore(url: $0)
        }
        self.users = users
        instance = settings.string("site.instance")
        let title = settings.string("site.title", default: "mod_swiftgate example site")
        var router = Router()
        router.get("/") { request in .html(Pages.home(title: title, base: request.scriptName)) }
        router.get("/env") { request in try Self.environ(request) }
        router.post("/echo") { request in Self.echo(request) }
        router.get("/stream") { request in Self.stream(request) }
        router.get("/notes") { request in
            .html(Pages.notes(try await notes.all(), base: request.scriptName))
        }
        router.get("/auth") { [users] request in try Self.checkBasicAuth(request, users: users) }
        router.get("/admin") { request in
            .html(
                Pages.admin(
                    notes: try await notes.all(),
                    users: try users?.users() ?? [],
                    viewer: request.remoteUser ?? "",
                    base: request.scriptName
                )
            )
        }
        router.post("/notes") { request in
            let form = FormDecoder.decode(
                String(decoding: try await request.body.collect(upTo: 64 * 1024), as: UTF8.self)
            )
            let text = form.first { $0.name == "text" }?.value.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !text.isEmpty else {
                return .text("A note needs some text.\n", status: .badRequest)
            }
            try await notes.add(text)
            return .redirect(to: request.scriptName + "/notes")
        }
        self.router = router
    }

    func respond(to request: Request) async throws -> Response {
        do {
            var response = try await router.respond(to: request)
            if let instance { response.headerFields[Self.servedBy] = instance }
            return response
        } catch UserStoreError.unavailable(let reason) {
            request.logger.error(
                "\(request.scriptName)\(request.pathInfo): answered 503: the database is unavailable: \(reason)"
            )
            return .text("The service is unavailable; try again later.\n", status: .serviceUnavailable)
        }
    }

    static let servedBy = HTTPField.Name("X-Served-By")!

    /// The request's environ, as a JSON object with sorted keys.
    static func environ(_ request: Request) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var response = Response(body: ResponseBody(bytes: Array(try encoder.encode(request.environ))))
        response.headerFields[.contentType] = "application/json"
        return response
    }

    /// Streams the request body back as it arrives.
    static func echo(_ request: Request) -> Response {
        var response = Response(
            body: ResponseBody { writer in
                for try await chunk in request.body {
                    try await writer.write(chunk)
                }
            }
        )
        response.headerFields[.contentType] = request.headerFields[.contentType] ?? "application/octet-stream"
        return response
    }

    /// `?n=N` lines (default 10, at most 100,000), each flushed on its own.
    static func stream(_ request: Request) -> Response {
        let count = min(max(Int(request.queryValue("n") ?? "") ?? 10, 0), 100_000)
        return Response(
            headerFields: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody { writer in
                for i in 0..<count {
                    try await writer.write("chunk \(i)\n")
                    try await writer.flush()
                }
            }
        )
    }
}
