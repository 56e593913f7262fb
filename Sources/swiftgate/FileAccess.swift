import Glibc

/// File-system helpers for the server root: who can read what, copies that
/// never disturb a running reader, directories.
enum FileAccess {
    /// Whether the user `uid` (primary group `gid`) can read `path` and
    /// search every directory above it, judged from the mode bits.
    static func isReadable(_ path: String, uid: uid_t, gid: gid_t) -> Bool {
        let parts = path.split(separator: "/")
        var prefix = ""
        for (index, part) in parts.enumerated() {
            prefix += "/" + part
            let last = index == parts.count - 1
            guard allows(prefix, uid: uid, gid: gid, bits: last ? 4 : 1) else { return false }
        }
        return allows("/", uid: uid, gid: gid, bits: 1)
    }

    private static func allows(_ path: String, uid: uid_t, gid: gid_t, bits: mode_t) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        if uid == 0 { return true }
        let mode = info.st_mode
        if info.st_uid == uid { return mode >> 6 & bits == bits }
        if info.st_gid == gid { return mode >> 3 & bits == bits }
        return mode & bits == bits
    }

    /// Copies `source` to `destination` through a temporary file and a
    /// rename, so a process that has the old file mapped keeps it intact.
    static func copy(_ source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("read", source) }
        defer { close(input) }
        let temporary = destination + ".tmp\(getpid())"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw failure("write", temporary) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 {
                close(output)
                throw failure("read", source)
            }
            if count == 0 { break }
            let written = chunk.withUnsafeBytes { Glibc.write(output, $0.baseAddress, count) }
            guard written == count else {
                close(output)
                unlink(temporary)
                throw failure("write", temporary)
            }
        }
        close(output)
        guard rename(temporary, destination) == 0 else { throw failure("rename to", destination) }
    }

    /// Makes `path` and its missing parents (mode 0755).
    static func makeDirectories(_ path: String) throws {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw failure("create", prefix) }
        }
    }

    /// Writes `text` to `path` (replacing it) with `mode`.
    static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("write", temporary) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { throw failure("write", temporary) }
        chmod(temporary, mode)
        guard rename(temporary, path) == 0 else { throw failure("rename to", path) }
    }

    private static func failure(_ what: String, _ path: String) -> CommandFailure {
        CommandFailure("cannot \(what) \(path): \(String(cString: strerror(errno)))")
    }
}
