import Glibc

/// Finds what `swiftgate express` needs: Apache, its modules, the config
/// templates, mod_swiftgate.so and libSwiftGateDaemon.so, in the build tree
/// first, then where `make install` and Debian put them.
enum ExpressLocator {
    /// The directories the running executable is in: as invoked (a symlink
    /// such as .build/debug kept) and resolved.
    static var executableDirectories: [String] {
        var found: [String] = []
        let invoked = CommandLine.arguments[0]
        if invoked.contains("/") {
            let absolute = invoked.hasPrefix("/") ? invoked : currentDirectory() + "/" + invoked
            found.append(directory(of: absolute))
        } else if let onPath = Subprocess.which(invoked) {
            found.append(directory(of: onPath))
        }
        if let resolved = realpath("/proc/self/exe", nil) {
            found.append(directory(of: String(cString: resolved)))
            free(resolved)
        }
        return found
    }

    /// Debian's apache2 binary.
    static func apache() throws -> String {
        if let path = getenv("APACHE").map({ String(cString: $0) }), access(path, X_OK) == 0 { return path }
        if let path = Subprocess.which("apache2") { return path }
        if access("/usr/sbin/apache2", X_OK) == 0 { return "/usr/sbin/apache2" }
        throw CommandFailure(
            "no apache2 binary on PATH or in /usr/sbin: install Debian's apache2 (apt-get install apache2)"
        )
    }

    /// Where Apache's own modules (mod_mpm_event.so …) are.
    static func apacheModules() throws -> String {
        if let path = getenv("APACHE_MODULES").map({ String(cString: $0) }) { return path }
        for candidate in ["/usr/lib/apache2/modules", apxsLibexecDir()].compactMap({ $0 })
        where exists(candidate + "/mod_mpm_event.so") {
            return candidate
        }
        throw CommandFailure("Apache's modules (mod_mpm_event.so) not found: install Debian's apache2")
    }

    /// The directory holding express.conf.in.
    static func templates() throws -> String {
        var candidates: [String] = []
        if let path = getenv("SWIFTGATE_TEMPLATES").map({ String(cString: $0) }) { candidates.append(path) }
        for directory in executableDirectories {
            candidates += [directory + "/../../apache", directory + "/../../../apache"]
        }
        candidates.append("/usr/local/share/swiftgate")
        guard let found = candidates.first(where: { exists($0 + "/express.conf.in") }) else {
            throw CommandFailure(
                "express.conf.in not found in \(candidates.joined(separator: ", ")): "
                    + "set SWIFTGATE_TEMPLATES or run make install"
            )
        }
        return canonical(found)
    }

    /// mod_swiftgate.so.
    static func module(_ given: String?) throws -> String {
        if let given { return try existing(given, what: "mod_swiftgate.so (--module-path)") }
        var candidates: [String] = []
        for directory in executableDirectories {
            candidates += [directory + "/../module/mod_swiftgate.so", directory + "/../../module/mod_swiftgate.so"]
        }
        if let libexec = apxsLibexecDir() { candidates.append(libexec + "/mod_swiftgate.so") }
        candidates.append("/usr/lib/apache2/modules/mod_swiftgate.so")
        guard let found = candidates.first(where: exists) else {
            throw CommandFailure(
                "mod_swiftgate.so not found (no apxs, or not installed): run make install or pass --module-path"
            )
        }
        return canonical(found)
    }

    /// swiftgate-supervise (`serve --processes`): the build tree's (beside
    /// mod_swiftgate.so), or where apxs installs modules.
    static func supervisor(_ given: String?) throws -> String {
        let name = "swiftgate-supervise"
        if let given { return try existing(given, what: "\(name) (--supervisor-path)") }
        var candidates = executableDirectories.map { $0 + "/" + name }
        for directory in executableDirectories {
            candidates += [directory + "/../module/" + name, directory + "/../../module/" + name]
        }
        if let libexec = apxsLibexecDir() { candidates.append(libexec + "/" + name) }
        candidates.append("/usr/lib/apache2/modules/" + name)
        guard let found = candidates.first(where: exists) else {
            throw CommandFailure("\(name) not found: run make install or pass --supervisor-path")
        }
        return canonical(found)
    }

    /// libSwiftGateDaemon.so: beside the executable, beside the module, or
    /// where apxs installs modules.
    static func daemonLibrary(_ given: String?, module: String) throws -> String {
        let name = "libSwiftGateDaemon.so"
        if let given { return try existing(given, what: "\(name) (--daemon-library-path)") }
        var candidates = executableDirectories.map { $0 + "/" + name }
        candidates.append(directory(of: module) + "/" + name)
        if let libexec = apxsLibexecDir() { candidates.append(libexec + "/" + name) }
        candidates.append("/usr/lib/apache2/modules/" + name)
        guard let found = candidates.first(where: exists) else {
            throw CommandFailure("\(name) not found: run make install or pass --daemon-library-path")
        }
        return canonical(found)
    }

    /// The absolute path of an existing regular file.
    static func existing(_ path: String, what: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CommandFailure("\(what) not found: \(path) (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw CommandFailure("\(what) is not a regular file: \(path)") }
        return canonical(path)
    }

    /// The absolute path of an existing directory.
    static func existingDirectory(_ path: String, what: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw CommandFailure("\(what) is not a directory: \(path)")
        }
        return canonical(path)
    }

    private nonisolated(unsafe) static var cachedLibexec: String??

    private static func apxsLibexecDir() -> String? {
        if let cachedLibexec { return cachedLibexec }
        var found: String?
        if let apxs = Subprocess.which("apxs") ?? Subprocess.which("apxs2"),
            let result = try? Subprocess.output([apxs, "-q", "LIBEXECDIR"]), result.status == 0
        {
            let text = result.text.split(separator: "\n").first.map(String.init) ?? ""
            found = text.isEmpty ? nil : text
        }
        cachedLibexec = .some(found)
        return found
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "." }
        defer { free(cwd) }
        return String(cString: cwd)
    }
}
