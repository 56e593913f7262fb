import ArgumentParser

/// `swiftgate express start-server LIB`: writes the server root and runs
/// Apache in the foreground until Ctrl-C.
struct ExpressStartServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start-server",
        abstract: "Serve an application library with a private Apache in the foreground.",
        discussion: Express.discussion + " Ctrl-C or SIGTERM stops Apache and its daemons."
    )

    @OptionGroup var options: ExpressOptions

    func run() throws {
        try PortProbe.check(host: options.host, port: options.port, option: "--port")
        if let httpsPort = options.httpsPort {
            try PortProbe.check(host: options.host, port: httpsPort, option: "--https-port")
        }
        let server = try ExpressServerRoot.prepare(options)
        try server.configtest()
        printBanner(server)
        let result = try ApacheRunner.run(apache: server.apache, configFile: server.configFile)
        if !result.stoppedBySignal {
            let log = options.logToTerminal ? "the output above" : server.root + "/error_log"
            throw CommandFailure("Apache exited with status \(result.status); see \(log)")
        }
    }

    private func printBanner(_ server: ExpressServerRoot) {
        let config = ExpressConfig(
            options: options,
            paths: .init(
                serverRoot: server.root,
                apacheModules: "",
                module: "",
                daemonLibrary: "",
                library: server.library,
                settings: nil,
                includes: [],
                aliases: []
            ),
            asRoot: false
        )
        let mount = options.mountPoint.hasSuffix("/") ? options.mountPoint : options.mountPoint + "/"
        var lines = [
            "swiftgate express: serving \(server.library)",
            "  URL:          http://\(config.hostForListen):\(options.port)\(mount)",
        ]
        if let httpsPort = options.httpsPort {
            lines.append("  HTTPS:        https://\(config.hostForListen):\(httpsPort)\(mount)")
        }
        lines.append(
            options.embeddedMode
                ? "  mode:         embedded (in Apache's own processes)"
                : "  mode:         daemon, \(options.processes) processes x \(options.threads) threads"
        )
        lines.append("  server root:  \(server.root)")
        lines.append("  error log:    \(options.logToTerminal ? "this terminal" : server.root + "/error_log")")
        lines.append("Ctrl-C stops it.")
        print(lines.joined(separator: "\n"))
        fflushStdout()
    }
}
