import GRDB

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A note as stored.
struct Note: Codable, FetchableRecord, PersistableRecord, Sendable {
    var id: Int64?
    var text: String
    var created: Date
}

/// Notes in SQLite. Apache runs several processes, so writers wait for
/// each other through SQLite's busy timeout.
struct NoteStore: Sendable {
    let database: DatabaseQueue

    init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        database =
            path == ":memory:"
            ? try DatabaseQueue(configuration: config)
            : try DatabaseQueue(path: path, configuration: config)
        try database.write { db in
            try db.create(table: "note", ifNotExists: true) { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("text", .text).notNull()
                t.column("created", .datetime).notNull()
            }
        }
    }

    func all() async throws -> [Note] {
        try await database.read { db in
            try Note.order(Column("id").desc).fetchAll(db)
        }
    }

    func add(_ text: String) async throws {
        try await database.write { db in
            try Note(id: nil, text: text, created: Date()).insert(db)
        }
    }
}
