import ArgumentParser

/// `swiftgate express`: a correctly tuned private Apache for one
/// application, in one command.
struct Express: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an application under a private, tuned Apache.",
        subcommands: [ExpressStartServer.self, ExpressSetupServer.self, ExpressModuleConfig.self]
    )

    /// What --help says about defaults and where things are found.
    static let discussion = """
        Daemon mode by default: processes=2 threads=15 request-timeout=60 queue-timeout=45 \
        connect-timeout=15 startup-timeout=15 graceful-timeout=15 reload-on-change=Off, \
        on http://127.0.0.1:8000/. The server root is /tmp/swiftgate-express-UID-PORT unless \
        --server-root says otherwise. Templates come from $SWIFTGATE_TEMPLATES, the build tree's \
        apache/ folder or /usr/local/share/swiftgate; mod_swiftgate.so from --module-path, the build \
        tree (.build/module), apxs's LIBEXECDIR or /usr/lib/apache2/modules; libSwiftGateDaemon.so \
        from beside this executable or beside the module. As root, --user and --group are required \
        and what the daemons read is made readable for them.
        """
}
