import Foundation
import SwiftGate
import SwiftGateTesting
import Testing

@Suite struct RequestBodyTests {
    @Test func chunksArriveInOrderAndEnd() async throws {
        let body = RequestBody(chunks: [[1, 2], [3], [4, 5, 6]])
        var seen: [[UInt8]] = []
        for try await chunk in body { seen.append(chunk) }
        #expect(seen == [[1, 2], [3], [4, 5, 6]])
    }

    @Test func collectRefusesPastItsLimit() async throws {
        let big = RequestBody(chunks: [[UInt8](repeating: 7, count: 600), [UInt8](repeating: 7, count: 600)])
        await #expect(throws: RequestBodyTooLarge.self) { _ = try await big.collect(upTo: 1000) }
        let small = RequestBody(chunks: [[1], [2]])
        #expect(try await small.collect(upTo: 2) == [1, 2])
    }

    @Test func anEchoStreamsChunkByChunk() async throws {
        let app = ApplicationFunction { request in
            Response(
                body: ResponseBody { writer in
                    for try await chunk in request.body { try await writer.write(chunk) }
                }
            )
        }
        let chunks = (0..<50).map { [UInt8](repeating: UInt8($0), count: 1000) }
        let response = try await app.test("/echo", method: .post, body: chunks)
        #expect(response.writes == chunks)
    }
}

@Suite struct SettingsTests {
    @Test func fileThenEnvironmentOverrides() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sg-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("settings.json")
        try #"{"database": {"path": "/srv/notes.db"}, "site": {"title": "From file", "workers": 3}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let settings = try await Settings.load(environment: [
            Settings.environmentVariable: file.path, "SITE_TITLE": "From environment",
        ])
        #expect(settings.path == file.path)
        #expect(settings.string("database.path") == "/srv/notes.db")
        #expect(settings.string("site.title") == "From environment")
        #expect(settings.int("site.workers", default: 1) == 3)
        #expect(settings.string("missing.key") == nil)
        #expect(settings.bool("debug", default: true))
    }

    @Test func yamlFilesWorkToo() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sg-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("settings.yaml")
        try "database:\n  path: /srv/yaml.db\nsite:\n  workers: 4\n".write(to: file, atomically: true, encoding: .utf8)
        let settings = try await Settings.load(environment: [Settings.environmentVariable: file.path])
        #expect(settings.string("database.path") == "/srv/yaml.db")
        #expect(settings.int("site.workers", default: 1) == 4)
        let broken = dir.appendingPathComponent("broken.yml")
        try "database: [unclosed\n".write(to: broken, atomically: true, encoding: .utf8)
        await #expect(throws: SettingsError.self) {
            _ = try await Settings.load(environment: [Settings.environmentVariable: broken.path])
        }
    }

    @Test func aMissingFileNamesItself() async throws {
        let error = await #expect(throws: SettingsError.self) {
            _ = try await Settings.load(environment: [Settings.environmentVariable: "/nonexistent/s.json"])
        }
        #expect(error?.description.contains("/nonexistent/s.json") == true)
    }

    @Test func noFileMeansEnvironmentOnly() async throws {
        let settings = try await Settings.load(environment: ["DATABASE_PATH": "/x"])
        #expect(settings.path == nil)
        #expect(settings.string("database.path") == "/x")
    }
}
