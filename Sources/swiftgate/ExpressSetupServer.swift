import ArgumentParser

/// `swiftgate express setup-server LIB`: writes the server root and an
/// apachectl script, without starting anything.
struct ExpressSetupServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup-server",
        abstract: "Write a private Apache's server root and an apachectl script, without starting it.",
        discussion: Express.discussion
    )

    @OptionGroup var options: ExpressOptions

    func run() throws {
        let server = try ExpressServerRoot.prepare(options)
        try server.writeApachectl()
        try server.configtest()
        print("server root: \(server.root)")
        print("start it with \(server.root)/apachectl start (stop, restart, graceful, configtest)")
    }
}
