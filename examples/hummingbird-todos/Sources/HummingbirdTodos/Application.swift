import Hummingbird
import SwiftGateHummingbird

/// The library's callable object: what `SwiftGateScriptAlias` (or
/// `swiftgate express start-server`) loads. Everything else in this package
/// is ordinary Hummingbird code; on Hummingbird's own server the same router
/// would be run with `Application(router: buildRouter(...)).runService()`.
@_cdecl("swiftgate_application")
public func application() -> UnsafeMutableRawPointer {
    export { settings in
        // `database.path` in the settings file (settings=, SWIFTGATE_SETTINGS)
        // or DATABASE_PATH; without it, each process keeps its own todos.
        buildRouter(repository: try TodoSQLiteRepository(path: settings.string("database.path")))
    }
}

/// The request context: Hummingbird's basic context plus what Apache knows
/// (the client's address, `REMOTE_USER`, the scheme, the CGI variables).
typealias AppRequestContext = BasicSwiftGateRequestContext

/// The routes: the todo API, file transfer, and an admin page that Apache
/// protects with basic auth.
func buildRouter(repository: some TodoRepository) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.addMiddleware {
        LogRequestsMiddleware(.debug)
    }
    router.get("/") { _, _ in
        "Todos: GET/POST /todos, GET/PATCH/DELETE /todos/{id}, GET /files/{bytes}, POST /files, GET /admin\n"
    }
    router.get("/health") { _, _ -> HTTPResponse.Status in .ok }
    router.addRoutes(TodoController(repository: repository).endpoints, atPath: "/todos")
    router.addRoutes(FileController().endpoints, atPath: "/files")
    router.get("/admin") { _, context -> String in
        guard let user = context.remoteUser else {
            throw HTTPError(.unauthorized, message: "Apache authenticates /admin; nobody is signed in")
        }
        return "Signed in as \(user)\n"
    }
    return router
}
