import Glibc

/// What identifies a file's contents cheaply: device, inode, size, mtime.
struct FileIdentity: Equatable, Sendable {
    var device: UInt64 = 0
    var inode: UInt64 = 0
    var size: Int64 = -1
    var modified: Int64 = 0
    var modifiedNanoseconds: Int = 0

    /// The file's identity now (all zero and size -1 when it is gone).
    init(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }

    /// What differs, for the log.
    func difference(to other: FileIdentity) -> String {
        if other.size < 0 { return "removed" }
        var parts: [String] = []
        if device != other.device || inode != other.inode { parts.append("replaced (new inode)") }
        if size != other.size { parts.append("size \(size) -> \(other.size)") }
        if modified != other.modified || modifiedNanoseconds != other.modifiedNanoseconds {
            parts.append("modification time changed")
        }
        return parts.joined(separator: ", ")
    }
}
