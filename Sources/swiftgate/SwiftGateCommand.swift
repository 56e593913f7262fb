import ArgumentParser

/// `swiftgate`: the command line of mod_swiftgate.
///
/// A root command with subcommands, so that `serve --http`, `users` and
/// `express` can join `serve --fastcgi`.
@main
struct SwiftGateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftgate",
        abstract: "Run Swift web applications built for mod_swiftgate.",
        subcommands: [Serve.self, Express.self, Users.self, Status.self, Restart.self, Scale.self]
    )
}
