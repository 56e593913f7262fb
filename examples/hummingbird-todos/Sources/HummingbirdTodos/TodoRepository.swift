import Foundation
import GRDB

/// Where todos are kept.
protocol TodoRepository: Sendable {
    /// Makes a todo and returns it.
    func create(title: String, order: Int?, urlPrefix: String) async throws -> Todo
    /// The todo with this id, if there is one.
    func get(id: UUID) async throws -> Todo?
    /// Every todo, in `order` then title order.
    func list() async throws -> [Todo]
    /// Changes the fields given; returns the todo, or nil when there is none.
    func update(id: UUID, title: String?, order: Int?, completed: Bool?) async throws -> Todo?
    /// Deletes a todo; false when there was none.
    func delete(id: UUID) async throws -> Bool
    /// Deletes every todo.
    func deleteAll() async throws
}

/// Todos in SQLite: Apache serves the application from several processes
/// (its children, or a daemon group's processes), and each opens the same
/// file; writers wait for each other through SQLite's busy timeout.
struct TodoSQLiteRepository: TodoRepository {
    /// A todo's row.
    struct Row: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "todo"
        var id: String
        var title: String
        var position: Int?
        var url: String
        var completed: Bool

        var todo: Todo {
            Todo(id: UUID(uuidString: id)!, title: title, order: position, url: url, completed: completed)
        }
    }

    let database: DatabaseQueue

    /// Opens (and makes, the first time) the database.
    ///
    /// - Parameter path: The SQLite file; nil keeps the todos in this
    ///   process's memory.
    init(path: String?) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        database =
            if let path {
                try DatabaseQueue(path: path, configuration: configuration)
            } else {
                try DatabaseQueue(configuration: configuration)
            }
        try database.write { db in
            try db.create(table: Row.databaseTableName, ifNotExists: true) { table in
                table.primaryKey("id", .text)
                table.column("title", .text).notNull()
                table.column("position", .integer)
                table.column("url", .text).notNull()
                table.column("completed", .boolean).notNull()
            }
        }
    }

    func create(title: String, order: Int?, urlPrefix: String) async throws -> Todo {
        let id = UUID().uuidString
        let row = Row(id: id, title: title, position: order, url: urlPrefix + id, completed: false)
        try await database.write { db in try row.insert(db) }
        return row.todo
    }

    func get(id: UUID) async throws -> Todo? {
        try await database.read { db in try Row.fetchOne(db, key: id.uuidString)?.todo }
    }

    func list() async throws -> [Todo] {
        try await database.read { db in
            try Row.order(Column("position").ascNullsLast, Column("title")).fetchAll(db).map(\.todo)
        }
    }

    func update(id: UUID, title: String?, order: Int?, completed: Bool?) async throws -> Todo? {
        try await database.write { db in
            guard var row = try Row.fetchOne(db, key: id.uuidString) else { return nil }
            if let title { row.title = title }
            if let order { row.position = order }
            if let completed { row.completed = completed }
            try row.update(db)
            return row.todo
        }
    }

    func delete(id: UUID) async throws -> Bool {
        try await database.write { db in try Row.deleteOne(db, key: id.uuidString) }
    }

    func deleteAll() async throws {
        _ = try await database.write { db in try Row.deleteAll(db) }
    }
}
