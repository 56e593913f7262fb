import ArgumentParser
import CSwiftGate
import Glibc
import SwiftGateDaemon
import SwiftGateDevServer
import SwiftGateHosting

/// `swiftgate serve`: serves one application library outside Apache.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve an application library.",
        discussion: """
            With --fastcgi the library is served over FastCGI (responder role) by the same daemon \
            mod_swiftgate runs, for nginx, Apache's mod_proxy_fcgi or HAProxy in front; \
            --fastcgi systemd takes the socket a systemd socket unit passes. With --processes N \
            the daemon processes run under mod_swiftgate's own supervision (swiftgate-supervise): \
            replaced when they die, recycled and timed out as a SwiftGateDaemonProcess group, \
            whose options --option passes; SIGHUP restarts them one at a time, and with \
            NOTIFY_SOCKET set (systemd's Type=notify) readiness is reported. \
            With --http it is served over HTTP/1.1 by a development server in this process \
            (no Apache), through the same entry points. \
            SIGINT or SIGTERM stops it after running requests finish.
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve FastCGI on ADDRESS: unix:/path/to.sock, HOST:PORT, or systemd (the socket a socket unit "
                + "passes).",
            valueName: "address"
        )
    )
    var fastcgi: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Serve HTTP/1.1 on ADDRESS (HOST:PORT, or a port on 127.0.0.1): a development server.",
            valueName: "address"
        )
    )
    var http: String?

    @Argument(help: ArgumentHelp("The application library (libApp.so).", valueName: "library"))
    var library: String

    @Option(help: ArgumentHelp("The callable object (default swiftgate_application).", valueName: "name"))
    var callable: String?

    @Option(help: ArgumentHelp("The application group (default: the global one).", valueName: "name"))
    var applicationGroup: String?

    @Option(help: "Requests served at once (worker threads).")
    var threads: UInt32 = 8

    @Option(help: ArgumentHelp("The settings file (sets SWIFTGATE_SETTINGS).", valueName: "file"))
    var settings: String?

    @Option(help: ArgumentHelp("Exit (status 75) when a request runs longer than this.", valueName: "seconds"))
    var requestTimeout: Double?

    @Option(help: ArgumentHelp("Answer 503 to a request that waited longer than this.", valueName: "seconds"))
    var queueTimeout: Double?

    @Option(
        help: ArgumentHelp(
            "With --http: the longest a request head may take from its first byte to its empty line "
                + "(default \(HTTPDevServer.defaultHeadTimeoutMilliseconds / 1000)); a slower client "
                + "gets 408 and the connection closes.",
            valueName: "seconds"
        )
    )
    var headTimeout: Double?

    @Option(
        help: ArgumentHelp(
            "Started as root: switch to this user after opening the listening socket.",
            valueName: "name"
        )
    )
    var user: String?

    @Flag(help: "Serve as root (refused without it or --user).")
    var allowRoot = false

    @Option(
        help: ArgumentHelp(
            "With --fastcgi: serve only requests whose swiftgate.secret parameter is the first line of FILE "
                + "(readable by its owner alone); others have their connection closed. Without it any process "
                + "that can reach the socket is served.",
            valueName: "file"
        )
    )
    var secretFile: String?

    @Option(
        help: ArgumentHelp(
            "With --fastcgi: answer GET or HEAD of PATH in the daemon, for a balancer's probe: 200 ok while "
                + "serving, 503 once draining or stopping (the secret still applies).",
            valueName: "path"
        )
    )
    var healthPath: String?

    @Option(
        help: ArgumentHelp(
            "With --fastcgi: run N daemon processes under the same supervision as a SwiftGateDaemonProcess "
                + "group (with --threads each).",
            valueName: "n"
        )
    )
    var processes: Int?

    @Option(
        name: .customLong("option"),
        help: ArgumentHelp(
            "With --processes: a SwiftGateDaemonProcess option (maximum-requests=, memory-limit=, "
                + "min-processes=, shutdown-timeout=, ...); repeat it for more.",
            valueName: "key=value"
        )
    )
    var groupOptions: [String] = []

    @Option(
        help: ArgumentHelp(
            "With --processes: make the control socket swiftgate restart and scale use here.",
            valueName: "path"
        )
    )
    var control: String?

    @Option(help: ArgumentHelp("With --processes: swiftgate-supervise.", valueName: "path"))
    var supervisorPath: String?

    @Option(help: ArgumentHelp("With --processes: libSwiftGateDaemon.so.", valueName: "path"))
    var daemonLibraryPath: String?

    @Option(
        help: ArgumentHelp(
            "With --processes: the least important lines logged (emerg ... debug; default info).",
            valueName: "level"
        )
    )
    var logLevel: String?

    func validate() throws {
        guard (fastcgi == nil) != (http == nil) else {
            throw ValidationError("say how to serve: --fastcgi ADDRESS or --http ADDRESS (one of them)")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if secretFile != nil, fastcgi == nil {
            throw ValidationError("--secret-file goes with --fastcgi")
        }
        if let healthPath {
            guard fastcgi != nil else { throw ValidationError("--health-path goes with --fastcgi") }
            if let problem = HealthAnswer.problem(with: healthPath) {
                throw ValidationError("--health-path \(problem)")
            }
        }
        for (name, value) in [("--request-timeout", requestTimeout), ("--queue-timeout", queueTimeout)] {
            if let value, !(value >= 0 && value < 1e9) {
                throw ValidationError("\(name) must be a number of seconds, 0 or more")
            }
        }
        let supervisedOnly =
            !groupOptions.isEmpty || control != nil || supervisorPath != nil
            || daemonLibraryPath != nil || logLevel != nil
        if let processes {
            guard fastcgi != nil else { throw ValidationError("--processes is for --fastcgi") }
            guard processes >= 1 else { throw ValidationError("--processes must be at least 1") }
            if allowRoot {
                throw ValidationError("--allow-root does not go with --processes: name the processes' user with --user")
            }
        } else if supervisedOnly {
            throw ValidationError(
                "--option, --control, --supervisor-path, --daemon-library-path and --log-level "
                    + "go with --processes"
            )
        }
        for option in groupOptions where !option.contains("=") {
            throw ValidationError("--option \(option): give KEY=VALUE, as SwiftGateDaemonProcess takes it")
        }
        if let headTimeout {
            guard http != nil else { throw ValidationError("--head-timeout is for --http") }
            guard headTimeout >= 0.001 && headTimeout <= 3600 else {
                throw ValidationError("--head-timeout must be a number of seconds, more than 0 and at most 3600")
            }
        }
    }

    func run() throws {
        let libraryPath = try Self.existingFile(library, what: "application library")
        if let settings {
            setenv("SWIFTGATE_SETTINGS", try Self.existingFile(settings, what: "settings file"), 1)
        }
        if let http {
            try dropRoot()
            try HTTPServe.run(
                address: http,
                library: libraryPath,
                callable: callable,
                applicationGroup: applicationGroup,
                threads: threads,
                headTimeoutMilliseconds: headTimeout.map { Int32(($0 * 1000).rounded()) }
                    ?? HTTPDevServer.defaultHeadTimeoutMilliseconds
            )
            return
        }
        let secret = try secretFile.map { try SecretFile.read($0) } ?? []
        let address = fastcgi == "systemd" ? nil : try ListenAddress(parsing: fastcgi ?? "")
        let (listenFD, label) = try address.map { (try $0.listen(), $0.description) } ?? SocketActivation.take()
        defer {
            close(listenFD)
            address?.removeSocketFile()
        }
        if let processes {
            // A UNIX socket file this command made goes with the supervisor,
            // which removes it when it stops; systemd's socket stays.
            var socketFile: String?
            if case .unix(let path) = address { socketFile = path }
            try supervised(
                processes: processes,
                listenFD: listenFD,
                label: label,
                socketFile: socketFile,
                library: libraryPath
            ).exec(secret: secret)
        }
        try dropRoot()
        let control = try SignalPipe.install()
        StderrLog.write(SWIFTGATE_LOG_INFO, "swiftgate: serving \(libraryPath) on \(label)")
        let status = withDaemonConfig(listenFD: listenFD, controlFD: control, library: libraryPath, secret: secret) {
            config in DaemonEntry.run(config, watchesParent: false)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// The supervised form of this command.
    func supervised(
        processes: Int,
        listenFD: Int32,
        label: String,
        socketFile: String?,
        library: String
    ) throws -> ServeSupervised {
        // An adaptive pool (min-processes=/max-processes=) has no
        // processes=; --processes must then be its largest size.
        let adaptive = groupOptions.filter { $0.hasPrefix("min-processes=") || $0.hasPrefix("max-processes=") }
        if !adaptive.isEmpty,
            adaptive.contains(where: { $0.hasPrefix("max-processes=") && $0 != "max-processes=\(processes)" })
        {
            throw CommandFailure("--processes \(processes): an adaptive pool's --processes is its max-processes=")
        }
        var options = adaptive.isEmpty ? ["processes=\(processes)"] : ["max-processes=\(processes)"]
        options.append("threads=\(threads)")
        if let healthPath { options.append("health-path=\(healthPath)") }
        if let requestTimeout {
            options.append("request-timeout=" + (try ServeSupervised.wholeSeconds("--request-timeout", requestTimeout)))
        }
        if let queueTimeout {
            options.append("queue-timeout=" + (try ServeSupervised.wholeSeconds("--queue-timeout", queueTimeout)))
        }
        if let settings = getenv("SWIFTGATE_SETTINGS").map({ String(cString: $0) }), self.settings != nil {
            options.append("settings=\(settings)")
        }
        let supervisor = try ExpressLocator.supervisor(supervisorPath)
        return ServeSupervised(
            supervisor: supervisor,
            daemonLibrary: try daemonLibraryPath.map {
                try ExpressLocator.existing($0, what: "libSwiftGateDaemon.so (--daemon-library-path)")
            },
            library: library,
            callable: callable,
            applicationGroup: applicationGroup,
            listenFD: listenFD,
            address: label,
            socketFile: socketFile,
            groupOptions: options + groupOptions,
            control: control,
            user: user,
            logLevel: logLevel
        )
    }

    /// Leaves root as `--user` and `--allow-root` say, before any
    /// application code loads.
    private func dropRoot() throws {
        guard Privileges.isRoot else { return }
        if let user {
            try Privileges.switchTo(user: user)
        } else if !allowRoot {
            throw CommandFailure(
                "refusing to run an application as root: pass --user NAME to switch to an unprivileged user "
                    + "(or --allow-root)"
            )
        }
    }

    private func withDaemonConfig<R>(
        listenFD: Int32,
        controlFD: Int32,
        library: String,
        secret: [UInt8],
        _ body: (UnsafePointer<swiftgate_daemon_config>) -> R
    ) -> R {
        let preload = [library, callable ?? "", applicationGroup ?? ""].joined(separator: "\n")
        return library.withCString { libraryC in
            preload.withCString { preloadC in
                withOptionalCString(callable) { callableC in
                    withOptionalCString(applicationGroup) { groupC in
                        let preloadList: [UnsafePointer<CChar>?] = [preloadC, nil]
                        return preloadList.withUnsafeBufferPointer { preloadBuffer in
                            var config = swiftgate_daemon_config()
                            config.struct_size = UInt32(MemoryLayout<swiftgate_daemon_config>.size)
                            config.listen_fd = listenFD
                            config.control_fd = controlFD
                            config.threads = threads
                            config.request_timeout_ms = Self.milliseconds(requestTimeout)
                            config.queue_timeout_ms = Self.milliseconds(queueTimeout)
                            config.fixed_library = libraryC
                            config.default_callable = callableC
                            config.default_application_group = groupC
                            config.preload = preloadBuffer.baseAddress
                            config.host = StderrLog.host
                            config.flags = allowRoot ? SWIFTGATE_DAEMON_ALLOW_ROOT : 0
                            return secret.withUnsafeBufferPointer { secretBytes in
                                secretBytes.withMemoryRebound(to: CChar.self) { secretC in
                                    config.secret = secretC.baseAddress
                                    config.secret_len = UInt64(secretC.count)
                                    return withOptionalCString(healthPath) { healthPathC in
                                        config.health_path = healthPathC
                                        return withUnsafePointer(to: &config) { body($0) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let string else { return body(nil) }
        return string.withCString { body($0) }
    }

    private static func milliseconds(_ seconds: Double?) -> UInt64 {
        guard let seconds, seconds > 0 else { return 0 }
        return max(1, UInt64((seconds * 1000).rounded()))
    }

    /// The absolute path of a readable regular file.
    private static func existingFile(_ path: String, what: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CommandFailure("\(what) not found: \(path) (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CommandFailure("\(what) is not a regular file: \(path)")
        }
        guard access(path, R_OK) == 0 else {
            throw CommandFailure("\(what) is not readable: \(path)")
        }
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// A failure the command reports as `Error: …` and exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
