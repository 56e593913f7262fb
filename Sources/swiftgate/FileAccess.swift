import Glibc

/// Who can read what: whether the unprivileged user Apache's children run
/// as reaches a file in place (writing goes through ``OwnedDirectory``).
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
}
