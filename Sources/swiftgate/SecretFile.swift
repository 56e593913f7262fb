import Glibc

/// `serve --fastcgi --secret-file`: the secret a front-end must send, read
/// from a file only its owner can read.
enum SecretFile {
    /// The longest secret accepted.
    static let maximumLength = 4096

    /// Reads the secret: the file's first line, without its line end.
    ///
    /// - Parameter path: The file.
    /// - Returns: The secret's bytes.
    /// - Throws: ``CommandFailure`` for a missing, unsafe or empty file.
    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            throw CommandFailure("--secret-file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CommandFailure("--secret-file \(path) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw CommandFailure(
                "--secret-file \(path) can be read by others (mode \(String(info.st_mode & 0o7777, radix: 8))): "
                    + "chmod 600 it"
            )
        }
        guard info.st_uid == geteuid() || info.st_uid == 0 else {
            throw CommandFailure("--secret-file \(path) belongs to uid \(info.st_uid), not to this user or root")
        }
        var bytes = [UInt8](repeating: 0, count: maximumLength + 1)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { break }
            count += got
        }
        let line = bytes[..<count].prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        guard count <= maximumLength else {
            throw CommandFailure("--secret-file \(path) is longer than \(maximumLength) bytes")
        }
        guard !line.isEmpty else { throw CommandFailure("--secret-file \(path) is empty") }
        return Array(line)
    }
}
