import ArgumentParser
import Glibc

/// `swiftgate status`: a site's status page (`SetHandler swiftgate-status`)
/// as a table in the terminal, once or refreshed.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a site's daemon processes and Apache's children are doing.",
        discussion: """
            Reads the site's status page as JSON (URL?json): the location where the configuration \
            has `SetHandler swiftgate-status`, reachable from this host under its `Require`. Prints \
            one table per daemon group (one row per process: requests, busy threads, responses by \
            class, memory, restarts and how the last process ended), Apache's children running \
            embedded applications, and the requests in progress, longest first.
            """
    )

    @Argument(help: ArgumentHelp("The status page.", valueName: "url"))
    var url = "http://127.0.0.1/swiftgate-status"

    @Flag(help: "Redraw the table every --interval seconds until interrupted.")
    var watch = false

    @Option(help: ArgumentHelp("Seconds between redraws with --watch.", valueName: "seconds"))
    var interval = 2

    @Option(help: .hidden)
    var count: Int?

    func validate() throws {
        guard (1...3600).contains(interval) else { throw ValidationError("--interval must be 1 to 3600 seconds") }
        _ = try StatusClient.target(url)
    }

    func run() throws {
        var frames = 0
        while true {
            let report = try StatusReport.decode(StatusClient.get(url, query: "json"), from: url)
            if watch, isatty(STDOUT_FILENO) != 0 {
                print("\u{1B}[H\u{1B}[2J", terminator: "")
            }
            print(StatusTable.render(report, url: url), terminator: "")
            frames += 1
            guard watch, count.map({ frames < $0 }) ?? true else { return }
            fflush(nil)
            sleep(UInt32(interval))
            if isatty(STDOUT_FILENO) == 0 { print("") }
        }
    }
}
