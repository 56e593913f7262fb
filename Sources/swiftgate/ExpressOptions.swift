import ArgumentParser

/// The options `express start-server` and `express setup-server` share:
/// what to serve and how the generated Apache is tuned.
struct ExpressOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The application library (libApp.so).", valueName: "library"))
    var library: String

    @Option(help: "The address Apache listens on (loopback unless you say otherwise).")
    var host = "127.0.0.1"

    @Option(help: "The HTTP port.")
    var port = 8000

    @Option(help: "Daemon processes (daemon mode).")
    var processes = 2

    @Option(help: "Requests one daemon process serves at once.")
    var threads = 15

    @Flag(help: "Run the application inside Apache's own processes instead of daemon processes.")
    var embeddedMode = false

    @Option(help: ArgumentHelp("The application's settings file (SWIFTGATE_SETTINGS).", valueName: "file"))
    var settings: String?

    @Option(help: ArgumentHelp("The callable object (default swiftgate_application).", valueName: "name"))
    var callableObject: String?

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Add KEY VALUE to every request's environ (repeatable; give the library before it).",
            valueName: "key value"
        )
    )
    var setenv: [String] = []

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("Serve the static files in DIR at URL (repeatable).", valueName: "url dir")
    )
    var urlAlias: [String] = []

    @Option(help: ArgumentHelp("The URL path the application is mounted at.", valueName: "path"))
    var mountPoint = "/"

    @Option(help: ArgumentHelp("The user Apache's children and daemons run as (required as root).", valueName: "user"))
    var user: String?

    @Option(help: ArgumentHelp("Their group (required as root).", valueName: "group"))
    var group: String?

    @Option(help: ArgumentHelp("A request running longer gets 504 and its daemon restarts.", valueName: "seconds"))
    var requestTimeout = 60

    @Option(help: ArgumentHelp("A request that waited longer for a daemon thread gets 503.", valueName: "seconds"))
    var queueTimeout = 45

    @Option(help: ArgumentHelp("How long Apache waits for a daemon to accept a connection.", valueName: "seconds"))
    var connectTimeout = 15

    @Option(help: ArgumentHelp("The longest a daemon may take to start the application.", valueName: "seconds"))
    var startupTimeout = 15

    @Option(help: ArgumentHelp("The longest a recycled daemon may take to finish its requests.", valueName: "seconds"))
    var gracefulTimeout = 15

    @Flag(help: "Restart the daemons when the application library changes on disk (default off).")
    var reloadOnChanges = false

    @Flag(help: "Write the error log and the access log to this terminal.")
    var logToTerminal = false

    @Flag(help: "Keep an access log (access_log in the server root, or the terminal).")
    var accessLog = false

    @Option(help: ArgumentHelp("Apache's LogLevel.", valueName: "level"))
    var logLevel = "info"

    @Option(
        help: ArgumentHelp(
            "The server root: a directory you own that nobody else can write (default: see below).",
            valueName: "dir"
        )
    )
    var serverRoot: String?

    @Flag(help: "Protect the mount with basic auth answered by the application itself (its AuthProvider).")
    var authUserScript = false

    @Option(
        help: ArgumentHelp(
            "Require this group of the application's users (implies --auth-user-script).",
            valueName: "name"
        )
    )
    var authGroup: String?

    @Option(help: ArgumentHelp("Include this Apache configuration file (repeatable).", valueName: "file"))
    var includeFile: [String] = []

    @Option(help: ArgumentHelp("Also serve HTTPS on this port (needs the two SSL options).", valueName: "port"))
    var httpsPort: Int?

    @Option(help: ArgumentHelp("The certificate for HTTPS.", valueName: "file"))
    var sslCertificateFile: String?

    @Option(help: ArgumentHelp("The certificate's private key.", valueName: "file"))
    var sslCertificateKeyFile: String?

    @Option(help: ArgumentHelp("mod_swiftgate.so to load (default: found as described below).", valueName: "file"))
    var modulePath: String?

    @Option(help: ArgumentHelp("libSwiftGateDaemon.so for the daemons.", valueName: "file"))
    var daemonLibraryPath: String?

    /// The --setenv pairs.
    var environment: [(key: String, value: String)] { pairs(setenv) }

    /// The --url-alias pairs.
    var aliases: [(url: String, directory: String)] { pairs(urlAlias).map { ($0.0, $0.1) } }

    private func pairs(_ values: [String]) -> [(key: String, value: String)] {
        stride(from: 0, to: values.count - 1, by: 2).map { (values[$0], values[$0 + 1]) }
    }

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
        if let httpsPort {
            guard (1...65535).contains(httpsPort), httpsPort != port else {
                throw ValidationError("--https-port must be 1-65535 and differ from --port")
            }
            guard sslCertificateFile != nil, sslCertificateKeyFile != nil else {
                throw ValidationError("--https-port needs --ssl-certificate-file and --ssl-certificate-key-file")
            }
        }
        guard processes >= 1, threads >= 1 else {
            throw ValidationError("--processes and --threads must be at least 1")
        }
        for (name, value) in [
            ("--request-timeout", requestTimeout), ("--queue-timeout", queueTimeout),
            ("--connect-timeout", connectTimeout), ("--startup-timeout", startupTimeout),
            ("--graceful-timeout", gracefulTimeout),
        ] where value < 0 {
            throw ValidationError("\(name) must be 0 or more seconds")
        }
        guard setenv.count % 2 == 0 else { throw ValidationError("--setenv takes a KEY and a VALUE") }
        guard urlAlias.count % 2 == 0 else { throw ValidationError("--url-alias takes a URL and a DIR") }
        // Every value that ends up in httpd.conf, before anything is
        // written: no control character (a newline would start a directive
        // of its own) and no ${ (Apache would expand it).
        for (name, value) in valuesForTheConfiguration {
            if let problem = ApacheConfigValue.problem(with: value) {
                throw ValidationError("\(name): \(ApacheConfigValue.printable(value)) \(problem)")
            }
        }
        for (key, _) in environment where !ExpressConfig.isEnvironmentName(key) {
            throw ValidationError("--setenv: '\(key)' is not a variable name (letters, digits, _)")
        }
        try check("--host", host, OptionGrammar.isHost, "an IP address (IPv6 without brackets) or a host name")
        try check("--mount-point", mountPoint, OptionGrammar.isURLPath, Self.urlPathShape)
        for (url, _) in aliases { try check("--url-alias", url, OptionGrammar.isURLPath, Self.urlPathShape) }
        try check(
            "--log-level",
            logLevel,
            OptionGrammar.isLogLevel,
            "one of \(OptionGrammar.logLevels.joined(separator: ", ")), trace1 to trace8"
        )
        if let callableObject {
            try check(
                "--callable-object",
                callableObject,
                OptionGrammar.isSymbol,
                "a C symbol name (letters, digits, _)"
            )
        }
        if let authGroup {
            try check("--auth-group", authGroup, OptionGrammar.isAuthGroup, "letters, digits and ._-@+")
        }
        for (name, value) in [("--user", user), ("--group", group)] {
            if let value {
                try check(name, value, OptionGrammar.isAccountName, "letters, digits and ._- (a $ at the end)")
            }
        }
        if serverRoot?.isEmpty == true { throw ValidationError("--server-root must not be empty") }
    }

    private static let urlPathShape = "a URL path: / then letters, digits and -._~!&()*+,;=:@/%"

    private func check(_ name: String, _ value: String, _ accepts: (String) -> Bool, _ shape: String) throws {
        guard accepts(value) else {
            throw ValidationError("\(name): \(ApacheConfigValue.printable(value)) is not \(shape)")
        }
    }

    /// Each option value that goes into httpd.conf, with its option's name.
    private var valuesForTheConfiguration: [(String, String)] {
        var values: [(String, String)] = [
            ("the application library", library), ("--host", host), ("--mount-point", mountPoint),
            ("--log-level", logLevel),
        ]
        let optional: [(String, String?)] = [
            ("--settings", settings), ("--callable-object", callableObject), ("--user", user), ("--group", group),
            ("--server-root", serverRoot), ("--auth-group", authGroup),
            ("--ssl-certificate-file", sslCertificateFile), ("--ssl-certificate-key-file", sslCertificateKeyFile),
            ("--module-path", modulePath), ("--daemon-library-path", daemonLibraryPath),
        ]
        values += optional.compactMap { name, value in value.map { (name, $0) } }
        values += setenv.map { ("--setenv", $0) } + urlAlias.map { ("--url-alias", $0) }
        values += includeFile.map { ("--include-file", $0) }
        return values
    }
}
