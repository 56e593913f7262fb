/// The text of an express server's httpd.conf: the values that fill the
/// `@NAME@` placeholders of apache/express.conf.in.
struct ExpressConfig {
    /// Paths the configuration names, as Apache will read them.
    struct Paths {
        var serverRoot: String
        var apacheModules: String
        var module: String
        var daemonLibrary: String
        var library: String
        var settings: String?
        var includes: [String]
        var aliases: [(url: String, directory: String)]
    }

    /// The daemon process group's name.
    static let processGroup = "express"

    let options: ExpressOptions
    let paths: Paths
    /// Whether Apache starts as root (User and Group lines).
    let asRoot: Bool

    /// Fills the template.
    ///
    /// - Parameter template: The text of express.conf.in.
    /// - Returns: The configuration.
    /// - Throws: ``CommandFailure`` for a placeholder left unfilled or a
    ///   value that cannot be written into a configuration.
    func render(_ template: String) throws -> String {
        let values = Dictionary(try values(), uniquingKeysWith: { first, _ in first })
        let bytes = Array(template.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "@"), let end = Self.placeholderEnd(bytes, from: index) {
                let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                guard let value = values[name] else {
                    throw CommandFailure("express.conf.in holds a placeholder swiftgate does not fill: @\(name)@")
                }
                out.append(contentsOf: value.utf8)
                index = end + 1
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The index of the `@` closing a placeholder (capitals and `_`) that
    /// opens at `start`.
    private static func placeholderEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var end = start + 1
        while end < bytes.count,
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[end]) || bytes[end] == UInt8(ascii: "_")
        {
            end += 1
        }
        return end > start + 1 && end < bytes.count && bytes[end] == UInt8(ascii: "@") ? end : nil
    }

    /// The placeholders' values. Those the template puts inside double
    /// quotes (paths, the host, the level) are escaped; the others are
    /// whole lines whose every argument is quoted here.
    private func values() throws -> [(String, String)] {
        let root = paths.serverRoot
        let errorLog = options.logToTerminal ? "/dev/stderr" : root + "/error_log"
        var accessLog = "# No access log (--access-log)."
        if options.logToTerminal {
            accessLog = "CustomLog \"/dev/stdout\" swiftgate"
        } else if options.accessLog {
            accessLog = "CustomLog \(try quoted(root + "/access_log", "the server root")) swiftgate"
        }
        var userGroup = ""
        if asRoot {
            userGroup =
                "User \(try quoted(options.user ?? "www-data", "--user"))\n"
                + "Group \(try quoted(options.group ?? "www-data", "--group"))"
        }
        let ssl =
            options.httpsPort == nil
            ? "" : "LoadModule ssl_module \(try quoted(paths.apacheModules + "/mod_ssl.so", "Apache's modules"))"
        return [
            ("SERVER_ROOT", try escaped(root, "the server root")), ("HOST", try escaped(hostForListen, "--host")),
            ("PORT", String(options.port)), ("ERROR_LOG", try escaped(errorLog, "the server root")),
            ("LOG_LEVEL", try escaped(options.logLevel, "--log-level")), ("USER_GROUP", userGroup),
            ("APACHE_MODULES", try escaped(paths.apacheModules, "Apache's modules")), ("SSL_MODULE", ssl),
            ("MODULE", try escaped(paths.module, "the module")),
            ("DAEMON_LIBRARY", try escaped(paths.daemonLibrary, "the daemon library")),
            ("REQUEST_TIMEOUT", String(max(options.requestTimeout, 30))), ("ACCESS_LOG", accessLog),
            ("APPLICATION", try application()), ("SETENV", try setenv()), ("URL_ALIASES", try aliases()),
            ("AUTH", try auth()), ("HTTPS", try https()), ("INCLUDES", try includes()),
        ]
    }

    /// `[::1]` for an IPv6 address, the host otherwise.
    var hostForListen: String {
        options.host.contains(":") ? "[\(options.host)]" : options.host
    }

    /// The words after the library on SwiftGateScriptAlias and the check
    /// scripts: callable-object= and process-group=.
    private func targetOptions() -> [String] {
        var words: [String] = []
        if let callable = options.callableObject { words.append("callable-object=\(callable)") }
        if !options.embeddedMode { words.append("process-group=\(Self.processGroup)") }
        return words
    }

    private func application() throws -> String {
        var lines: [String] = []
        var aliasWords = [options.mountPoint, paths.library] + targetOptions()
        if options.embeddedMode {
            if let settings = paths.settings { aliasWords.append("settings=\(settings)") }
        } else {
            var group = [
                Self.processGroup, "processes=\(options.processes)", "threads=\(options.threads)",
                "request-timeout=\(options.requestTimeout)", "queue-timeout=\(options.queueTimeout)",
                "connect-timeout=\(options.connectTimeout)", "startup-timeout=\(options.startupTimeout)",
                "graceful-timeout=\(options.gracefulTimeout)",
                "reload-on-change=\(options.reloadOnChanges ? "On" : "Off")",
            ]
            if let settings = paths.settings { group.append("settings=\(settings)") }
            lines.append(try directive("SwiftGateDaemonProcess", group, "the daemon process group"))
        }
        lines.append(try directive("SwiftGateScriptAlias", aliasWords, "the application"))
        lines.append(try directoryBlock(ExpressLocator.directory(of: paths.library)))
        return lines.joined(separator: "\n")
    }

    /// A directive with each argument quoted.
    private func directive(_ name: String, _ arguments: [String], _ what: String) throws -> String {
        ([name] + (try arguments.map { try quoted($0, what) })).joined(separator: " ")
    }

    private func directoryBlock(_ directory: String) throws -> String {
        "<Directory \(try quoted(directory, "a directory"))>\n    Require all granted\n</Directory>"
    }

    private func setenv() throws -> String {
        try options.environment.map { try directive("SetEnv", [$0.key, $0.value], "--setenv") }
            .joined(separator: "\n")
    }

    private func aliases() throws -> String {
        try paths.aliases.map { alias in
            try directive("Alias", [alias.url, alias.directory], "--url-alias") + "\n"
                + directoryBlock(alias.directory)
        }.joined(separator: "\n")
    }

    private func auth() throws -> String {
        guard options.authUserScript || options.authGroup != nil else { return "" }
        let target = [paths.library] + targetOptions()
        var lines = [
            "<Location \(try quoted(options.mountPoint, "--mount-point"))>",
            "    AuthType Basic",
            "    AuthName \"swiftgate express\"",
            "    AuthBasicProvider swiftgate",
            "    " + (try directive("SwiftGateAuthUserScript", target, "the application")),
        ]
        if let group = options.authGroup {
            lines += [
                "    " + (try directive("SwiftGateAuthGroupScript", target, "the application")),
                "    Require swiftgate-group \(try quoted(group, "--auth-group"))",
            ]
        } else {
            lines.append("    Require valid-user")
        }
        lines.append("</Location>")
        return lines.joined(separator: "\n")
    }

    private func https() throws -> String {
        guard let port = options.httpsPort, let certificate = options.sslCertificateFile,
            let key = options.sslCertificateKeyFile
        else { return "" }
        let address = try quoted("\(hostForListen):\(port)", "--host")
        return """
            Listen \(address)
            <VirtualHost \(address)>
                ServerName \(address)
                SSLEngine on
                SSLCertificateFile \(try quoted(ExpressLocator.canonical(certificate), "--ssl-certificate-file"))
                SSLCertificateKeyFile \(try quoted(ExpressLocator.canonical(key), "--ssl-certificate-key-file"))
            </VirtualHost>
            """
    }

    private func includes() throws -> String {
        try paths.includes.map { try directive("Include", [$0], "--include-file") }.joined(separator: "\n")
    }

    private func quoted(_ text: String, _ what: String) throws -> String {
        try ApacheConfigValue.quoted(text, what: what)
    }

    private func escaped(_ text: String, _ what: String) throws -> String {
        try ApacheConfigValue.escaped(text, what: what)
    }

    /// Whether `name` can be an environment variable's name.
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            return false
        }
        return name.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement`.
    func replacingAll(_ target: String, with replacement: String) -> String {
        let source = Array(utf8)
        let pattern = Array(target.utf8)
        guard !pattern.isEmpty else { return self }
        var result: [UInt8] = []
        result.reserveCapacity(source.count)
        var index = 0
        while index < source.count {
            if index + pattern.count <= source.count, source[index..<(index + pattern.count)].elementsEqual(pattern) {
                result.append(contentsOf: replacement.utf8)
                index += pattern.count
            } else {
                result.append(source[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
