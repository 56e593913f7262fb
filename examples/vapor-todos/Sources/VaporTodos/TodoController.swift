import SwiftGateVapor
import Vapor

/// `/todos`: create, list, read, update and delete todos.
struct TodoController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let todos = routes.grouped("todos")
        todos.get(use: index)
        todos.post(use: create)
        todos.delete(use: deleteAll)
        todos.group(":id") { todo in
            todo.get(use: show)
            todo.patch(use: update)
            todo.delete(use: delete)
        }
    }

    /// What `POST /todos` takes.
    struct CreateTodo: Content, Validatable {
        var title: String
        var order: Int?

        static func validations(_ validations: inout Validations) {
            validations.add("title", as: String.self, is: !.empty)
        }
    }

    /// What `PATCH /todos/:id` takes: the fields to change.
    struct UpdateTodo: Content {
        var title: String?
        var order: Int?
        var completed: Bool?
    }

    @Sendable func index(req: Request) async throws -> [Todo] {
        try await req.application.todos.list()
    }

    @Sendable func show(req: Request) async throws -> Todo {
        guard let todo = try await req.application.todos.get(try id(req)) else { throw Abort(.notFound) }
        return todo
    }

    @Sendable func create(req: Request) async throws -> Response {
        try CreateTodo.validate(content: req)
        let input = try req.content.decode(CreateTodo.self)
        let todo = try await req.application.todos.create(
            title: input.title,
            order: input.order,
            urlPrefix: urlPrefix(req)
        )
        let response = try await todo.encodeResponse(status: .created, for: req)
        response.headers.replaceOrAdd(name: .location, value: todo.url)
        return response
    }

    @Sendable func update(req: Request) async throws -> Todo {
        let input = try req.content.decode(UpdateTodo.self)
        guard
            let todo = try await req.application.todos.update(
                try id(req),
                title: input.title,
                order: input.order,
                completed: input.completed
            )
        else { throw Abort(.notFound) }
        return todo
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        try await req.application.todos.delete(try id(req)) ? .noContent : .notFound
    }

    @Sendable func deleteAll(req: Request) async throws -> HTTPStatus {
        try await req.application.todos.deleteAll()
        return .noContent
    }

    private func id(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id", as: UUID.self) else {
            throw Abort(.badRequest, reason: "The todo id is not a UUID.")
        }
        return id
    }

    /// This site's address for its todos: the scheme and host the client
    /// used, and the mount point Apache serves the application at
    /// (`SCRIPT_NAME`), which Vapor's router never sees.
    private func urlPrefix(_ req: Request) -> String {
        let environ = req.swiftgate.environ
        let host = environ?["HTTP_HOST"] ?? environ?["SERVER_NAME"] ?? "localhost"
        return "\(environ?.scheme ?? "http")://\(host)\(environ?["SCRIPT_NAME"] ?? "")/todos/"
    }
}
