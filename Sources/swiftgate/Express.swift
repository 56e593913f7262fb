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
        on http://127.0.0.1:8000/. The server root is --server-root, else /run/swiftgate/express-PORT \
        for root and $XDG_RUNTIME_DIR/swiftgate/express-PORT or ~/.cache/swiftgate/express-PORT for \
        others. It must be yours and writable by nobody else, and every directory above it root's or \
        yours and, when others can write it, sticky (as /tmp); nothing in it is followed through a \
        symbolic link. Option values must hold no control character and no ${. Templates come from \
        $SWIFTGATE_TEMPLATES, the build tree's apache/ folder or /usr/local/share/swiftgate; \
        mod_swiftgate.so from --module-path, the build tree (.build/module), apxs's LIBEXECDIR or \
        /usr/lib/apache2/modules; libSwiftGateDaemon.so from beside this executable or beside the \
        module. As root, --user and --group are required, and what the daemons cannot read in place \
        is copied for them (a settings file as --user's, mode 0600).
        """
}
