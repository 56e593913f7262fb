import CSwiftGate
import Glibc
import SwiftGateHosting

/// A private server root for `swiftgate express`: httpd.conf rendered from
/// express.conf.in, and, when Apache starts as root, copies of whatever the
/// unprivileged children and daemons could not read in place.
///
/// The root is an ``OwnedDirectory``: the invoking user's, writable by
/// nobody else, with nothing above it that another user could replace.
/// Everything is checked and the configuration rendered before anything is
/// written, so a refused option leaves no trace.
struct ExpressServerRoot {
    let options: ExpressOptions
    /// The server root directory.
    let directory: OwnedDirectory
    /// The apache2 binary.
    let apache: String
    /// The application library as Apache loads it.
    let library: String

    /// The server root's path.
    var root: String { directory.path }

    /// httpd.conf in the server root.
    var configFile: String { root + "/httpd.conf" }

    /// The default server root of a port: one that no other user can make
    /// first. Root's is under /run; another user's under
    /// `$XDG_RUNTIME_DIR` or `~/.cache` (when the invoking user owns that
    /// directory), else a fresh directory made by mkdtemp in /tmp.
    static func defaultRoot(port: Int) throws -> String {
        let name = "swiftgate/express-\(port)"
        if geteuid() == 0 { return "/run/" + name }
        var bases: [String] = []
        if let runtime = environment("XDG_RUNTIME_DIR") { bases.append(runtime) }
        if let cache = environment("XDG_CACHE_HOME") { bases.append(cache) }
        if let home = environment("HOME") { bases.append(home + "/.cache") }
        if let entry = getpwuid(geteuid()) { bases.append(String(cString: entry.pointee.pw_dir) + "/.cache") }
        for base in bases where base.hasPrefix("/") && isOwnDirectory(base) {
            return base + "/" + name
        }
        var template = Array("/tmp/swiftgate-express-\(port)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CommandFailure("cannot make a server root in /tmp: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// Checks the options, finds Apache and the module, renders the
    /// configuration, and only then writes the server root.
    ///
    /// - Throws: ``CommandFailure`` naming what is missing or wrong.
    static func prepare(_ options: ExpressOptions) throws -> ExpressServerRoot {
        let account = try runAccount(options)
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
        let module = try ExpressLocator.module(options.modulePath)
        let daemonLibrary = try ExpressLocator.daemonLibrary(options.daemonLibraryPath, module: module)
        let root = try OwnedDirectory.resolve(
            options.serverRoot.map { $0.hasPrefix("/") ? $0 : ExpressLocator.canonical(".") + "/" + $0 }
                ?? defaultRoot(port: options.port),
            what: "--server-root"
        )

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
        // As root, the children and daemons run as --user: they must reach
        // the daemon library, the application and its settings. What they
        // cannot read in place is copied, for them alone.
        var copies: [Copy] = []
        if let account {
            paths.module = root + "/modules/mod_swiftgate.so"
            paths.daemonLibrary = root + "/modules/libSwiftGateDaemon.so"
            copies += [
                Copy(source: module, directory: "modules", mode: 0o644, owner: nil),
                Copy(source: daemonLibrary, directory: "modules", mode: 0o644, owner: nil),
            ]
            if !FileAccess.isReadable(library, uid: account.uid, gid: account.gid) {
                // Root's, readable by --group (Apache's Group) alone.
                let copy = Copy(source: library, directory: "app", mode: 0o640, owner: (0, account.gid))
                paths.library = root + "/" + copy.name
                copies.append(copy)
                warnAboutReload(library, options: options)
            }
            if let settings, !FileAccess.isReadable(settings, uid: account.uid, gid: account.gid) {
                // A private file stays private: --user's, mode 0600.
                let copy = Copy(source: settings, directory: "app", mode: 0o600, owner: account)
                guard !copies.contains(where: { $0.name == copy.name }) else {
                    throw CommandFailure(
                        "the application library and the settings file are both called \(copy.name): "
                            + "rename one, or make both readable by \(options.user ?? "--user")"
                    )
                }
                paths.settings = root + "/" + copy.name
                copies.append(copy)
            }
            for (_, directory) in aliases where !FileAccess.isReadable(directory, uid: account.uid, gid: account.gid) {
                throw CommandFailure("--url-alias directory \(directory) is not readable by user \(options.user ?? "")")
            }
        }
        let config = ExpressConfig(options: options, paths: paths, asRoot: account != nil)
        let text = try config.render(try readFile(templates + "/express.conf.in"))

        // Nothing was written before this line.
        let shared: mode_t = account != nil ? 0o755 : 0o700
        let directory = try OwnedDirectory.open(root, what: "--server-root", mode: shared)
        // Apache's pid file and the daemons' sockets: root's (or the
        // invoking user's) alone to write.
        _ = try directory.subdirectory("run", mode: shared)
        var subdirectories: [String: OwnedDirectory] = [:]
        for copy in copies {
            if subdirectories[copy.directory] == nil {
                subdirectories[copy.directory] = try directory.subdirectory(copy.directory, mode: 0o755)
            }
            try subdirectories[copy.directory]!.copy(copy.source, to: copy.fileName, mode: copy.mode, owner: copy.owner)
        }
        // The parent reads it as root; SetEnv values may be secrets.
        try directory.write(text, to: "httpd.conf", mode: 0o600)
        return ExpressServerRoot(options: options, directory: directory, apache: apache, library: paths.library)
    }

    /// A file copied into a subdirectory of the server root.
    private struct Copy {
        let source: String
        let directory: String
        let mode: mode_t
        let owner: (uid: uid_t, gid: gid_t)?

        var fileName: String { source.split(separator: "/").last.map(String.init) ?? "file" }
        /// Its path relative to the server root.
        var name: String { directory + "/" + fileName }
    }

    /// The user and group Apache's children and daemons run as when this
    /// command runs as root; nil otherwise.
    private static func runAccount(_ options: ExpressOptions) throws -> (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0 else { return nil }
        guard let user = options.user, let group = options.group else {
            throw CommandFailure(
                "running as root needs --user and --group (for example --user www-data --group www-data): "
                    + "Apache's children and the daemons must not run as root"
            )
        }
        guard let entry = getpwnam(user) else { throw CommandFailure("--user: no such user '\(user)'") }
        guard let groupEntry = getgrnam(group) else { throw CommandFailure("--group: no such group '\(group)'") }
        return (entry.pointee.pw_uid, groupEntry.pointee.gr_gid)
    }

    /// --reload-on-changes watches the library Apache is given: a copy
    /// never changes.
    private static func warnAboutReload(_ path: String, options: ExpressOptions) {
        guard options.reloadOnChanges else { return }
        StderrLog.write(
            SWIFTGATE_LOG_WARNING,
            "\(path) is not readable by \(options.user ?? "the user"): serving a copy, "
                + "so --reload-on-changes watches the copy, not the original"
        )
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// Whether `path` is a directory the invoking user owns.
    private static func isOwnDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_uid == geteuid()
    }

    /// Writes an `apachectl` script into the server root that starts,
    /// stops and checks this server.
    func writeApachectl() throws {
        let apacheWord = try ApacheConfigValue.shellQuoted(apache, what: "the apache2 binary")
        let configWord = try ApacheConfigValue.shellQuoted(configFile, what: "the server root")
        let script = """
            #!/bin/sh
            # apachectl for the swiftgate express server in \(root).
            # Generated by `swiftgate express setup-server`; regenerate rather than edit.
            APACHE=\(apacheWord)
            CONF=\(configWord)
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
        try directory.write(script, to: "apachectl", mode: 0o755)
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
