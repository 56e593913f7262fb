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
    /// - Throws: ``CommandFailure`` for a placeholder left unfilled.
    func render(_ template: String) throws -> String {
        let values = Dictionary(values(), uniquingKeysWith: { first, _ in first })
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

    private func values() -> [(String, String)] {
        let root = paths.serverRoot
        let errorLog = options.logToTerminal ? "/dev/stderr" : root + "/error_log"
        var accessLog = "# No access log (--access-log)."
        if options.logToTerminal {
            accessLog = "CustomLog \"/dev/stdout\" swiftgate"
        } else if options.accessLog {
            accessLog = "CustomLog \"\(root)/access_log\" swiftgate"
        }
        let userGroup = asRoot ? "User \(options.user ?? "www-data")\nGroup \(options.group ?? "www-data")" : ""
        let ssl =
            options.httpsPort == nil
            ? "" : "LoadModule ssl_module \(paths.apacheModules)/mod_ssl.so"
        return [
            ("SERVER_ROOT", root), ("HOST", hostForListen), ("PORT", String(options.port)),
            ("ERROR_LOG", errorLog), ("LOG_LEVEL", options.logLevel), ("USER_GROUP", userGroup),
            ("APACHE_MODULES", paths.apacheModules), ("SSL_MODULE", ssl), ("MODULE", paths.module),
            ("DAEMON_LIBRARY", paths.daemonLibrary), ("REQUEST_TIMEOUT", String(max(options.requestTimeout, 30))),
            ("ACCESS_LOG", accessLog), ("APPLICATION", application()), ("SETENV", setenv()),
            ("URL_ALIASES", aliases()), ("AUTH", auth()), ("HTTPS", https()), ("INCLUDES", includes()),
        ]
    }

    /// `[::1]` for an IPv6 address, the host otherwise.
    var hostForListen: String {
        options.host.contains(":") ? "[\(options.host)]" : options.host
    }

    private func application() -> String {
        let library = paths.library
        var scriptOptions: [String] = []
        if let callable = options.callableObject { scriptOptions.append("callable-object=\(callable)") }
        var lines: [String] = []
        if options.embeddedMode {
            if let settings = paths.settings { scriptOptions.append("settings=\(settings)") }
        } else {
            var group = [
                "processes=\(options.processes)", "threads=\(options.threads)",
                "request-timeout=\(options.requestTimeout)", "queue-timeout=\(options.queueTimeout)",
                "connect-timeout=\(options.connectTimeout)", "startup-timeout=\(options.startupTimeout)",
                "graceful-timeout=\(options.gracefulTimeout)",
                "reload-on-change=\(options.reloadOnChanges ? "On" : "Off")",
            ]
            if let settings = paths.settings { group.append("settings=\(settings)") }
            lines.append("SwiftGateDaemonProcess \(Self.processGroup) " + group.joined(separator: " "))
            scriptOptions.append("process-group=\(Self.processGroup)")
        }
        lines.append(
            (["SwiftGateScriptAlias", options.mountPoint, quoted(library)] + scriptOptions).joined(separator: " ")
        )
        lines.append(directoryBlock(ExpressLocator.directory(of: library)))
        return lines.joined(separator: "\n")
    }

    private func directoryBlock(_ directory: String) -> String {
        "<Directory \(quoted(directory))>\n    Require all granted\n</Directory>"
    }

    private func setenv() -> String {
        options.environment.map { "SetEnv \($0.key) \(quoted($0.value))" }.joined(separator: "\n")
    }

    private func aliases() -> String {
        paths.aliases.map { alias in
            "Alias \(quoted(alias.url)) \(quoted(alias.directory))\n" + directoryBlock(alias.directory)
        }.joined(separator: "\n")
    }

    private func auth() -> String {
        guard options.authUserScript || options.authGroup != nil else { return "" }
        let target =
            quoted(paths.library)
            + (options.callableObject.map { " callable-object=\($0)" } ?? "")
            + (options.embeddedMode ? "" : " process-group=\(Self.processGroup)")
        var lines = [
            "<Location \(quoted(options.mountPoint))>",
            "    AuthType Basic",
            "    AuthName \"swiftgate express\"",
            "    AuthBasicProvider swiftgate",
            "    SwiftGateAuthUserScript \(target)",
        ]
        if let group = options.authGroup {
            lines += ["    SwiftGateAuthGroupScript \(target)", "    Require swiftgate-group \(group)"]
        } else {
            lines.append("    Require valid-user")
        }
        lines.append("</Location>")
        return lines.joined(separator: "\n")
    }

    private func https() -> String {
        guard let port = options.httpsPort, let certificate = options.sslCertificateFile,
            let key = options.sslCertificateKeyFile
        else { return "" }
        return """
            Listen \(hostForListen):\(port)
            <VirtualHost \(hostForListen):\(port)>
                ServerName \(hostForListen):\(port)
                SSLEngine on
                SSLCertificateFile \(quoted(ExpressLocator.canonical(certificate)))
                SSLCertificateKeyFile \(quoted(ExpressLocator.canonical(key)))
            </VirtualHost>
            """
    }

    private func includes() -> String {
        paths.includes.map { "Include \(quoted($0))" }.joined(separator: "\n")
    }

    /// A double-quoted Apache argument.
    func quoted(_ text: String) -> String {
        "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
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
