#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `SetHandler swiftgate-status` answers to `?json` (CModule/sg_status.c).
struct StatusReport: Decodable {
    struct Group: Decodable {
        var name: String
        var embedded: Bool
        var processes: Int?
        var threads: Int?
        var queue: Int?
        var slowRequest: Int?
        var slots: [Slot]

        enum CodingKeys: String, CodingKey {
            case name, embedded, processes, threads, queue, slots
            case slowRequest = "slow_request"
        }
    }

    struct Slot: Decodable {
        var slot: Int
        var pid: Int
        var started: Double
        var requests: UInt64
        var busy: Int
        var threads: Int
        var rss: UInt64
        var status: [String: UInt64]
        var library: String
        var restarts: Int
        var lastExit: LastExit?

        enum CodingKeys: String, CodingKey {
            case slot, pid, started, requests, busy, threads, rss, status, library, restarts
            case lastExit = "last_exit"
        }
    }

    struct LastExit: Decodable {
        var pid: Int
        var how: String
    }

    struct Running: Decodable {
        var group: String
        var pid: Int
        var thread: Int
        var method: String
        var uri: String
        var client: String
        var id: String
        var age: Double
        var slow: Bool
    }

    var time: Double
    var groups: [Group]
    var requests: [Running]

    /// Decodes a `?json` document.
    ///
    /// - Throws: ``CommandFailure`` when it is not one.
    static func decode(_ bytes: [UInt8], from url: String) throws -> StatusReport {
        do {
            return try JSONDecoder().decode(StatusReport.self, from: Data(bytes))
        } catch {
            throw CommandFailure("\(url): not a swiftgate-status page (\(error))")
        }
    }
}
