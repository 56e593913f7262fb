/// `swiftgate status`'s text: one table per group, one row per process,
/// then the requests in progress, longest first (as `passenger-status`
/// lays it out).
enum StatusTable {
    /// The most requests in progress listed.
    static let requestRows = 20

    static func render(_ report: StatusReport, url: String) -> String {
        var out = "mod_swiftgate status at \(url)\n"
        for group in report.groups {
            out += "\n"
            if group.embedded {
                out += "embedded (Apache's children)\n"
            } else {
                var line =
                    "daemon group \(group.name): \(group.processes ?? 0) process(es) x \(group.threads ?? 0) thread(s)"
                line += ", queue \(group.queue.map { $0 < 0 ? "?" : String($0) } ?? "?")"
                if let slow = group.slowRequest, slow > 0 { line += ", slow-request \(slow) s" }
                out += line + "\n"
            }
            var rows = [["SLOT", "PID", "UPTIME", "REQUESTS", "BUSY", "2XX", "3XX", "4XX", "5XX", "MEMORY"]]
            if !group.embedded { rows[0] += ["RESTARTS", "LAST EXIT"] }
            for slot in group.slots where slot.pid > 0 || slot.lastExit != nil {
                var row = [
                    String(slot.slot),
                    slot.pid > 0 ? String(slot.pid) : "-",
                    slot.pid > 0 ? duration(report.time - slot.started) : "-",
                    String(slot.requests),
                    "\(bar(slot.busy, of: slot.threads)) \(slot.busy)/\(slot.threads)",
                    String(slot.status["2xx"] ?? 0), String(slot.status["3xx"] ?? 0),
                    String(slot.status["4xx"] ?? 0), String(slot.status["5xx"] ?? 0),
                    megabytes(slot.rss),
                ]
                if !group.embedded {
                    row += [String(slot.restarts), slot.lastExit.map { "pid \($0.pid) \($0.how)" } ?? ""]
                }
                rows.append(row)
            }
            out += table(rows)
        }
        out += "\nrequests in progress, longest first\n"
        if report.requests.isEmpty {
            out += "  none\n"
        } else {
            var rows = [["AGE", "GROUP", "PID", "THREAD", "REQUEST", "CLIENT", "ID"]]
            for running in report.requests.prefix(requestRows) {
                rows.append([
                    String(format1(running.age)) + " s" + (running.slow ? " SLOW" : ""),
                    running.group, String(running.pid), String(running.thread),
                    "\(running.method) \(running.uri)", running.client, running.id,
                ])
            }
            out += table(rows)
        }
        return out
    }

    /// Columns padded to their widest cell, two spaces apart, indented.
    static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { row in
            "  "
                + row.enumerated().map { column, cell in
                    column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
                }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// Busy threads as a bar of ten cells.
    static func bar(_ busy: Int, of threads: Int) -> String {
        let filled = threads > 0 ? min(10, (busy * 10 + threads - 1) / threads) : 0
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 10 - filled) + "]"
    }

    static func duration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\(s % 3600 / 60)m"
    }

    static func megabytes(_ bytes: UInt64) -> String {
        format1(Double(bytes) / 1_048_576) + " MiB"
    }

    /// One decimal, without Foundation's formatting.
    static func format1(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
