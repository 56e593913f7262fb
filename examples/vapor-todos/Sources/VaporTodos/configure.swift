import SwiftGateVapor
import Vapor

/// Configures the application: storage, limits, routes.
@Sendable func configure(_ app: Application) async throws {
    // `database.path` in the settings file (settings=, SWIFTGATE_SETTINGS)
    // or DATABASE_PATH; without it, each process keeps its own todos.
    app.todos = try TodoStore(path: app.swiftgate.settings.string("database.path"))
    // Uploads to /files are read into memory before the route runs (see
    // the adapter's notes); allow 64 MiB.
    app.swiftgate.maxRequestBodySize = "64mb"
    try routes(app)
}

/// The routes: the todo API, file transfer, and an admin page that Apache
/// protects with basic auth.
func routes(_ app: Application) throws {
    app.get { _ in
        "Todos: GET/POST /todos, GET/PATCH/DELETE /todos/:id, GET /files/:bytes, POST /files, GET /admin\n"
    }
    app.get("health") { _ in HTTPStatus.ok }
    try app.register(collection: TodoController())
    try app.register(collection: FileController())
    app.grouped(RemoteUserAuthenticator(), SwiftGateUser.guardMiddleware())
        .get("admin") { req in
            "Signed in as \(try req.auth.require(SwiftGateUser.self).name)\n"
        }
}
