import Glibc

/// A directory that the invoking user owns and nobody else can write, held
/// open: what goes into it is made relative to the descriptor, never through
/// a path that could be re-pointed, and never through a symbolic link.
///
/// Opening one walks from `/`: every directory above it must belong to root
/// or the invoking user and, when others can write it, carry the sticky bit
/// (as /tmp does), so nobody else can rename or replace the entries on the
/// way; the directory itself must belong to the invoking user and be
/// writable by nobody else. A directory that fails is refused, never
/// repaired. Files are written to a fresh name (`O_CREAT|O_EXCL|O_NOFOLLOW`),
/// given their owner and mode through the descriptor, then renamed into
/// place, so a reader never sees half a file, a link planted at a temporary
/// name is never opened, and one at the final name is replaced, not
/// followed.
final class OwnedDirectory {
    /// The directory's absolute path, free of symbolic links.
    let path: String
    /// What the directory is to the user (`--server-root`), for messages.
    let what: String
    private let fd: Int32

    private init(path: String, what: String, fd: Int32) {
        self.path = path
        self.what = what
        self.fd = fd
    }

    deinit { close(fd) }

    /// Opens the directory at `path`, making it (and missing directories
    /// above it) when absent, and sets its mode.
    ///
    /// - Parameters:
    ///   - path: An absolute path as ``resolve(_:what:)`` gives it: a
    ///     symbolic link anywhere in it is refused.
    ///   - what: What the directory is, for messages.
    ///   - mode: The directory's mode once opened.
    /// - Returns: The directory.
    /// - Throws: ``CommandFailure`` naming the directory and what is wrong.
    static func open(_ path: String, what: String, mode: mode_t) throws -> OwnedDirectory {
        let names = path.split(separator: "/").map(String.init)
        guard !names.isEmpty else { throw CommandFailure("\(what) cannot be /") }
        var current = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw CommandFailure("cannot open /: \(String(cString: strerror(errno)))") }
        var prefix = ""
        for (index, name) in names.enumerated() {
            prefix += "/" + name
            let last = index == names.count - 1
            let made = mkdirat(current, name, last ? 0o700 : 0o755) == 0
            var next: Int32 = -1
            if made || errno == EEXIST { next = openat(current, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            let failure = next < 0 ? openFailure(current, name, prefix, what: what, whole: path) : nil
            close(current)
            if let failure { throw failure }
            current = next
            do {
                if last {
                    try checkOwn(current, prefix, what: what, made: made)
                } else {
                    try checkAbove(current, prefix, what: what, whole: path, made: made)
                }
            } catch {
                close(current)
                throw error
            }
        }
        let directory = OwnedDirectory(path: path, what: what, fd: current)
        try directory.setMode(mode)
        return directory
    }

    /// The directory `name` inside this one, made when absent: it must be a
    /// real directory (not a link) owned by the invoking user; its mode is
    /// set to `mode`.
    func subdirectory(_ name: String, mode: mode_t) throws -> OwnedDirectory {
        let full = path + "/" + name
        try Self.checkName(name, in: path)
        let made = mkdirat(fd, name, 0o700) == 0
        if !made, errno != EEXIST { throw failure("create", full) }
        let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { throw Self.openFailure(fd, name, full, what: "\(what) subdirectory", whole: full) }
        do {
            try Self.checkOwn(child, full, what: "\(what) subdirectory", made: made)
        } catch {
            close(child)
            throw error
        }
        let directory = OwnedDirectory(path: full, what: what, fd: child)
        try directory.setMode(mode)
        return directory
    }

    /// Sets the directory's own mode.
    func setMode(_ mode: mode_t) throws {
        guard fchmod(fd, mode) == 0 else { throw failure("set the mode of", path) }
    }

    /// Writes `text` to the file `name` (replacing it).
    ///
    /// - Parameters:
    ///   - owner: The file's owner and group (root only); nil keeps the
    ///     invoking user's.
    func write(_ text: String, to name: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        let bytes = Array(text.utf8)
        try replace(name, mode: mode, owner: owner) { output, temporary in
            try bytes.withUnsafeBytes { try Self.writeAll(output, $0, to: temporary) }
        }
    }

    /// Copies the file at `source` to the file `name` (replacing it), so a
    /// process that has the old one mapped keeps it intact.
    func copy(_ source: String, to name: String, mode: mode_t, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        let input = Glibc.open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("read", source) }
        defer { close(input) }
        try replace(name, mode: mode, owner: owner) { output, temporary in
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count < 0 { throw failure("read", source) }
                if count == 0 { break }
                try chunk.withUnsafeBytes {
                    try Self.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[..<count]), to: temporary)
                }
            }
        }
    }

    /// Makes a fresh file beside `name`, fills it, gives it its owner and
    /// mode through the descriptor, and renames it to `name`.
    private func replace(
        _ name: String,
        mode: mode_t,
        owner: (uid: uid_t, gid: gid_t)?,
        fill: (Int32, String) throws -> Void
    ) throws {
        try Self.checkName(name, in: path)
        let (output, temporary) = try createFresh(beside: name)
        let full = path + "/" + temporary
        do {
            try fill(output, full)
            if let owner, fchown(output, owner.uid, owner.gid) != 0 { throw failure("set the owner of", full) }
            guard fchmod(output, mode) == 0 else { throw failure("set the mode of", full) }
        } catch {
            close(output)
            unlinkat(fd, temporary, 0)
            throw error
        }
        guard close(output) == 0 else {
            let error = failure("write", full)
            unlinkat(fd, temporary, 0)
            throw error
        }
        guard renameat(fd, temporary, fd, name) == 0 else {
            let error = failure("rename to", path + "/" + name)
            unlinkat(fd, temporary, 0)
            throw error
        }
    }

    /// A new file (mode 0600) named after `name`: `NAME.tmpPID` unless that
    /// name is taken, then `NAME.tmpPID-RANDOM`. An existing entry, a
    /// symbolic link above all, is never opened.
    private func createFresh(beside name: String) throws -> (Int32, String) {
        var candidate = "\(name).tmp\(getpid())"
        for _ in 0..<16 {
            let output = openat(fd, candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if output >= 0 { return (output, candidate) }
            guard errno == EEXIST else { throw failure("create", path + "/" + candidate) }
            candidate = "\(name).tmp\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        }
        throw failure("create", path + "/" + candidate)
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    private static func checkName(_ name: String, in directory: String) throws {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw CommandFailure("'\(name)' is not a file name in \(directory)")
        }
    }

    /// The directory itself: a real directory owned by the invoking user,
    /// writable by nobody else.
    private static func checkOwn(_ fd: Int32, _ path: String, what: String, made: Bool) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CommandFailure("cannot inspect \(path): \(errnoText())") }
        let me = geteuid()
        guard info.st_uid == me else {
            throw CommandFailure(
                "refusing \(what) \(path): it belongs to \(userName(info.st_uid)), not to \(userName(me)) "
                    + "who runs this; remove it or choose another directory"
            )
        }
        // A directory made just now has umask-dependent bits: its mode is
        // set once it is open. One that was there already is refused.
        guard made || info.st_mode & 0o022 == 0 else {
            throw CommandFailure(
                "refusing \(what) \(path): others can write it (mode \(octal(info.st_mode & 0o7777))), so they "
                    + "could have planted files or links in it; remove it or choose another directory"
            )
        }
    }

    /// A directory above: root's or the invoking user's, and, when others
    /// can write it, sticky.
    private static func checkAbove(_ fd: Int32, _ path: String, what: String, whole: String, made: Bool) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CommandFailure("cannot inspect \(path): \(errnoText())") }
        let me = geteuid()
        guard info.st_uid == 0 || info.st_uid == me else {
            throw CommandFailure(
                "refusing \(what) \(whole): the directory \(path) above it belongs to \(userName(info.st_uid)), "
                    + "who could replace what is in it; choose a directory under one of yours"
            )
        }
        if made {
            // Made just now by this command: only its umask decides the
            // bits; take them away from others.
            guard fchmod(fd, 0o755) == 0 else { throw CommandFailure("cannot set the mode of \(path): \(errnoText())") }
            return
        }
        guard info.st_mode & 0o022 == 0 || info.st_mode & S_ISVTX != 0 else {
            throw CommandFailure(
                "refusing \(what) \(whole): others can write the directory \(path) above it "
                    + "(mode \(octal(info.st_mode & 0o7777)), no sticky bit), so they could replace it; "
                    + "choose another directory"
            )
        }
    }

    /// `path` with the symbolic links above its last component resolved:
    /// the longest existing part through realpath, the rest as written.
    static func resolve(_ path: String, what: String) throws -> String {
        guard path.hasPrefix("/") else { throw CommandFailure("\(what) \(path) is not an absolute path") }
        var missing: [Substring] = []
        var names = path.split(separator: "/")
        guard let last = names.popLast() else { throw CommandFailure("\(what) cannot be /") }
        missing.append(last)
        while true {
            let parent = "/" + names.joined(separator: "/")
            if let resolved = realpath(parent, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                for name in missing where name == "." || name == ".." {
                    throw CommandFailure(
                        "\(what) \(path): '\(name)' cannot be resolved here; give a path without it"
                    )
                }
                return (base == "/" ? "" : base) + "/" + missing.reversed().joined(separator: "/")
            }
            guard errno == ENOENT, let name = names.popLast() else {
                throw CommandFailure("\(what) \(path): cannot resolve \(parent): \(errnoText())")
            }
            missing.append(name)
        }
    }

    /// Why `name` in the directory `parent` could not be opened as a
    /// directory (with `O_DIRECTORY|O_NOFOLLOW` a link gives ENOTDIR).
    private static func openFailure(
        _ parent: Int32,
        _ name: String,
        _ path: String,
        what: String,
        whole: String
    ) -> CommandFailure {
        let code = errno
        var info = stat()
        let subject = path == whole ? "it" : path
        if code == ENOTDIR || code == ELOOP, fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            if info.st_mode & S_IFMT == S_IFLNK {
                return CommandFailure("refusing \(what) \(whole): \(subject) is a symbolic link")
            }
            return CommandFailure("refusing \(what) \(whole): \(subject) is not a directory")
        }
        return CommandFailure("cannot make or open \(path): \(String(cString: strerror(code)))")
    }

    private func failure(_ action: String, _ path: String) -> CommandFailure {
        CommandFailure("cannot \(action) \(path): \(Self.errnoText())")
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }

    private static func octal(_ mode: mode_t) -> String {
        "0" + String(mode, radix: 8)
    }

    /// A user's name and id for a message.
    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid) else { return "uid \(uid)" }
        return "\(String(cString: entry.pointee.pw_name)) (uid \(uid))"
    }
}
