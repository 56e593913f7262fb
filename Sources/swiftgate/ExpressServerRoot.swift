import CSwiftGate
import Glibc
import SwiftGateHosting

/// A private server root for `swiftgate express`: httpd.conf rendered from
/// express.conf.in, and, when Apache starts as root, copies of whatever the
/// unprivileged children and daemons could not read in place.
struct ExpressServerRoot {
    let options: ExpressOptions
    /// The server root directory.
    let root: String
    /// The apache2 binary.
    let apache: String
    /// The application library as Apache loads it.
    let library: String

    /// httpd.conf in the server root.
    var configFile: String { root + "/httpd.conf" }

    /// The default server root of a port.
    static func defaultRoot(port: Int) -> String {
        "/tmp/swiftgate-express-\(getuid())-\(port)"
    }

    /// Checks the options, finds Apache and the module, and writes the
    /// server root.
    ///
    /// - Throws: ``CommandFailure`` naming what is missing or wrong.
    static func prepare(_ options: ExpressOptions) throws -> ExpressServerRoot {
        let asRoot = geteuid() == 0
        var account: (uid: uid_t, gid: gid_t)?
        if asRoot {
            guard let user = options.user, let group = options.group else {
                throw CommandFailure(
                    "running as root needs --user and --group (for example --user www-data --group www-data): "
                        + "Apache's children and the daemons must not run as root"
                )
            }
            guard let entry = getpwnam(user) else { throw CommandFailure("--user: no such user '\(user)'") }
            guard let groupEntry = getgrnam(group) else { throw CommandFailure("--group: no such group '\(group)'") }
            account = (entry.pointee.pw_uid, groupEntry.pointee.gr_gid)
        }
        let library = try ExpressLocator.existing(options.library, what: "application library")
        let settings = try options.settings.map { try ExpressLocator.existing($0, what: "settings file") }
        let includes = try options.includeFile.map { try ExpressLocator.existing($0, what: "include file") }
        let aliases = try options.aliases.map { alias in
            (alias.url, try ExpressLocator.existingDirectory(alias.directory, what: "--url-alias directory"))
        }
        for (name, file) in [
            ("--ssl-certificate-file", options.sslCertificateFile),
            ("--ssl-certificate-key-file", options.sslCertificateKeyFile),
        ] {
            if let file { _ = try ExpressLocator.existing(file, what: "\(name)") }
        }
        let apache = try ExpressLocator.apache()
        let apacheModules = try ExpressLocator.apacheModules()
        let templates = try ExpressLocator.templates()
        var module = try ExpressLocator.module(options.modulePath)
        var daemonLibrary = try ExpressLocator.daemonLibrary(options.daemonLibraryPath, module: module)

        let root =
            options.serverRoot.map { $0.hasPrefix("/") ? $0 : ExpressLocator.canonical(".") + "/" + $0 }
            ?? defaultRoot(port: options.port)
        try FileAccess.makeDirectories(root + "/run")
        var paths = ExpressConfig.Paths(
            serverRoot: root,
            apacheModules: apacheModules,
            module: module,
            daemonLibrary: daemonLibrary,
            library: library,
            settings: settings,
            includes: includes,
            aliases: aliases
        )
        if let account {
            // The children and daemons run as --user: they must reach the
            // daemon library, the application and its settings.
            try FileAccess.makeDirectories(root + "/modules")
            module = root + "/modules/mod_swiftgate.so"
            daemonLibrary = root + "/modules/libSwiftGateDaemon.so"
            try FileAccess.copy(paths.module, to: module)
            try FileAccess.copy(paths.daemonLibrary, to: daemonLibrary)
            paths.module = module
            paths.daemonLibrary = daemonLibrary
            paths.library = try readableCopy(library, root: root, account: account, options: options)
            paths.settings = try settings.map { try readableCopy($0, root: root, account: account, options: options) }
            for (_, directory) in aliases where !FileAccess.isReadable(directory, uid: account.uid, gid: account.gid) {
                throw CommandFailure("--url-alias directory \(directory) is not readable by user \(options.user ?? "")")
            }
        }
        for path in [paths.settings].compactMap({ $0 }) where path.contains(where: { $0 == " " || $0 == "\"" }) {
            throw CommandFailure("the path \(path) holds a space or a quote, which SwiftGate options cannot take")
        }
        let config = ExpressConfig(options: options, paths: paths, asRoot: account != nil)
        let template = try readFile(templates + "/express.conf.in")
        try FileAccess.write(try config.render(template), to: root + "/httpd.conf")
        if account != nil {
            _ = try Subprocess.output(["chmod", "-R", "a+rX", root])
            chmod(root, 0o755)
        }
        return ExpressServerRoot(options: options, root: root, apache: apache, library: paths.library)
    }

    /// The library as the daemons will read it: in place when --user can
    /// read it there (so --reload-on-changes sees a rebuilt one), else a
    /// copy in the server root.
    private static func readableCopy(
        _ path: String,
        root: String,
        account: (uid: uid_t, gid: gid_t),
        options: ExpressOptions
    ) throws -> String {
        if FileAccess.isReadable(path, uid: account.uid, gid: account.gid) { return path }
        try FileAccess.makeDirectories(root + "/app")
        let copy = root + "/app/" + (path.split(separator: "/").last.map(String.init) ?? "library")
        try FileAccess.copy(path, to: copy)
        if options.reloadOnChanges {
            StderrLog.write(
                SWIFTGATE_LOG_WARNING,
                "\(path) is not readable by \(options.user ?? "the user"): serving a copy, "
                    + "so --reload-on-changes watches the copy, not the original"
            )
        }
        return copy
    }

    /// Writes an `apachectl` script into the server root that starts,
    /// stops and checks this server.
    func writeApachectl() throws {
        let script = """
            #!/bin/sh
            # apachectl for the swiftgate express server in \(root).
            # Generated by `swiftgate express setup-server`; regenerate rather than edit.
            APACHE='\(apache)'
            CONF='\(configFile)'
            case "$1" in
            start|stop|restart|graceful|graceful-stop)
                exec "$APACHE" -f "$CONF" -k "$1" ;;
            configtest)
                exec "$APACHE" -f "$CONF" -t ;;
            foreground)
                exec "$APACHE" -f "$CONF" -DFOREGROUND ;;
            *)
                echo "usage: $0 start|stop|restart|graceful|graceful-stop|configtest|foreground" >&2
                exit 2 ;;
            esac

            """
        try FileAccess.write(script, to: root + "/apachectl", mode: 0o755)
    }

    /// Runs Apache's configuration check.
    ///
    /// - Throws: ``CommandFailure`` with Apache's output when it fails.
    func configtest() throws {
        let result = try Subprocess.output([apache, "-f", configFile, "-t"])
        guard result.status == 0 else {
            throw CommandFailure("Apache refused the generated configuration \(configFile):\n\(result.text)")
        }
    }

    private static func readFile(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else {
            throw CommandFailure("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
