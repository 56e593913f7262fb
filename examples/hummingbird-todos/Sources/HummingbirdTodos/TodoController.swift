import Foundation
import Hummingbird
import SwiftGateHummingbird

/// `/todos`: create, list, read, update and delete todos.
struct TodoController<Repository: TodoRepository> {
    let repository: Repository

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get(use: list)
            .post(use: create)
            .delete(use: deleteAll)
            .get("{id}", use: get)
            .patch("{id}", use: update)
            .delete("{id}", use: delete)
    }

    /// What `POST /todos` takes.
    struct CreateRequest: Decodable {
        let title: String
        let order: Int?
    }

    /// What `PATCH /todos/{id}` takes: the fields to change.
    struct UpdateRequest: Decodable {
        let title: String?
        let order: Int?
        let completed: Bool?
    }

    @Sendable func list(request: Request, context: AppRequestContext) async throws -> [Todo] {
        try await repository.list()
    }

    @Sendable func get(request: Request, context: AppRequestContext) async throws -> Todo? {
        let id = try context.parameters.require("id", as: UUID.self)
        return try await repository.get(id: id)
    }

    @Sendable func create(request: Request, context: AppRequestContext) async throws -> EditedResponse<Todo> {
        let input = try await request.decode(as: CreateRequest.self, context: context)
        guard !input.title.isEmpty else { throw HTTPError(.badRequest, message: "A todo needs a title.") }
        let todo = try await repository.create(
            title: input.title,
            order: input.order,
            urlPrefix: Self.urlPrefix(context)
        )
        return EditedResponse(status: .created, headers: [.location: todo.url], response: todo)
    }

    @Sendable func update(request: Request, context: AppRequestContext) async throws -> Todo? {
        let id = try context.parameters.require("id", as: UUID.self)
        let input = try await request.decode(as: UpdateRequest.self, context: context)
        return try await repository.update(id: id, title: input.title, order: input.order, completed: input.completed)
    }

    @Sendable func delete(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let id = try context.parameters.require("id", as: UUID.self)
        return try await repository.delete(id: id) ? .noContent : .notFound
    }

    @Sendable func deleteAll(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try await repository.deleteAll()
        return .noContent
    }

    /// This site's address for its todos: the scheme and host the client
    /// used, and the mount point Apache serves the application at
    /// (`SCRIPT_NAME`), which the router never sees.
    static func urlPrefix(_ context: AppRequestContext) -> String {
        let environ = context.environ
        let host = environ["HTTP_HOST"] ?? environ["SERVER_NAME"] ?? "localhost"
        return "\(context.scheme)://\(host)\(environ["SCRIPT_NAME"] ?? "")/todos/"
    }
}
