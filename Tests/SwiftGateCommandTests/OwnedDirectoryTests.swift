import Foundation
import Glibc
import Testing

@testable import swiftgate

/// A fresh directory in /tmp (mode 0700, ours), removed afterwards.
private final class Scratch {
    let path: String

    init() {
        var template = Array("/tmp/sg-owned-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return file
    }

    func makeDirectory(_ name: String, mode: mode_t) -> String {
        let directory = path + "/" + name
        mkdir(directory, 0o700)
        chmod(directory, mode)
        return directory
    }
}

private func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

private func info(_ path: String) -> stat {
    var result = stat()
    lstat(path, &result)
    return result
}

/// The uid of nobody, when this runs as root and can give a directory away.
private let nobody: uid_t? = geteuid() == 0 ? getpwnam("nobody")?.pointee.pw_uid : nil

@Suite struct OwnedDirectoryTests {
    private func refusal(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func aMissingDirectoryIsMadeWithItsParentsAndMode() throws {
        let scratch = Scratch()
        let root = scratch.path + "/a/b/root"
        let directory = try OwnedDirectory.open(root, what: "--server-root", mode: 0o755)
        #expect(directory.path == root)
        #expect(info(root).st_mode & 0o7777 == 0o755)
        #expect(info(scratch.path + "/a/b").st_mode & 0o022 == 0)
    }

    @Test func aWorldWritableRootIsRefused() {
        let scratch = Scratch()
        let root = scratch.makeDirectory("root", mode: 0o777)
        let message = refusal { _ = try OwnedDirectory.open(root, what: "--server-root", mode: 0o755) }
        #expect(message.contains("others can write it") && message.contains(root), "\(message)")
        #expect(info(root).st_mode & 0o777 == 0o777, "a refused directory is left as it was")
    }

    @Test(.enabled(if: nobody != nil, "needs root to give a directory away"))
    func aRootOfAnotherUserIsRefused() {
        let scratch = Scratch()
        let root = scratch.makeDirectory("root", mode: 0o755)
        chown(root, nobody!, 0)
        let message = refusal { _ = try OwnedDirectory.open(root, what: "--server-root", mode: 0o755) }
        #expect(message.contains("belongs to nobody"), "\(message)")
    }

    @Test func aParentOthersCanWriteIsRefusedUnlessSticky() throws {
        let scratch = Scratch()
        let open = scratch.makeDirectory("open", mode: 0o777)
        let message = refusal { _ = try OwnedDirectory.open(open + "/root", what: "--server-root", mode: 0o755) }
        #expect(message.contains("above it") && message.contains("no sticky bit"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: open + "/root"))
        let sticky = scratch.makeDirectory("sticky", mode: 0o1777)
        _ = try OwnedDirectory.open(sticky + "/root", what: "--server-root", mode: 0o755)
    }

    @Test func aLinkAsTheRootOrASubdirectoryIsRefused() throws {
        let scratch = Scratch()
        let elsewhere = scratch.makeDirectory("elsewhere", mode: 0o755)
        symlink(elsewhere, scratch.path + "/root")
        let message = refusal {
            _ = try OwnedDirectory.open(scratch.path + "/root", what: "--server-root", mode: 0o755)
        }
        #expect(message.contains("symbolic link"), "\(message)")

        let root = try OwnedDirectory.open(scratch.path + "/real", what: "--server-root", mode: 0o755)
        symlink(elsewhere, scratch.path + "/real/modules")
        let linked = refusal { _ = try root.subdirectory("modules", mode: 0o755) }
        #expect(linked.contains("symbolic link"), "\(linked)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    @Test(.enabled(if: nobody != nil, "needs root to give a directory away"))
    func aSubdirectoryOfAnotherUserIsRefused() throws {
        let scratch = Scratch()
        let root = try OwnedDirectory.open(scratch.path + "/root", what: "--server-root", mode: 0o755)
        let run = scratch.makeDirectory("root/run", mode: 0o755)
        chown(run, nobody!, 0)
        let message = refusal { _ = try root.subdirectory("run", mode: 0o755) }
        #expect(message.contains("belongs to nobody"), "\(message)")
    }

    @Test func aLinkPlantedAtTheTemporaryOrFinalNameIsNeverFollowed() throws {
        let scratch = Scratch()
        let victim = scratch.write("victim", "precious\n")
        let victimMode = info(victim).st_mode
        let root = try OwnedDirectory.open(scratch.path + "/root", what: "--server-root", mode: 0o755)
        symlink(victim, root.path + "/httpd.conf.tmp\(getpid())")
        symlink(victim, root.path + "/httpd.conf")
        try root.write("ServerRoot /x\n", to: "httpd.conf", mode: 0o600)
        #expect(contents(victim) == "precious\n")
        #expect(info(victim).st_mode == victimMode)
        #expect(info(root.path + "/httpd.conf").st_mode & S_IFMT == S_IFREG)
        #expect(info(root.path + "/httpd.conf").st_mode & 0o777 == 0o600)
        #expect(contents(root.path + "/httpd.conf") == "ServerRoot /x\n")
        // The planted link is left alone, pointing where it pointed.
        #expect(info(root.path + "/httpd.conf.tmp\(getpid())").st_mode & S_IFMT == S_IFLNK)

        symlink(victim, root.path + "/lib.so.tmp\(getpid())")
        try root.copy(scratch.write("source", "library\n"), to: "lib.so", mode: 0o640)
        #expect(contents(victim) == "precious\n")
        #expect(contents(root.path + "/lib.so") == "library\n")
    }

    @Test(.enabled(if: nobody != nil, "needs root to give a file away"))
    func aCopyGetsItsOwnerAndMode() throws {
        let scratch = Scratch()
        let root = try OwnedDirectory.open(scratch.path + "/root", what: "--server-root", mode: 0o755)
        try root.copy(scratch.write("settings.json", "{}"), to: "settings.json", mode: 0o600, owner: (nobody!, 0))
        let copied = info(root.path + "/settings.json")
        #expect(copied.st_uid == nobody! && copied.st_mode & 0o7777 == 0o600)
    }

    @Test func aPathIsResolvedAboveItsLastComponentOnly() throws {
        let scratch = Scratch()
        let real = scratch.makeDirectory("real", mode: 0o755)
        symlink(real, scratch.path + "/link")
        #expect(try OwnedDirectory.resolve(scratch.path + "/link/a/root", what: "x") == real + "/a/root")
        #expect(try OwnedDirectory.resolve(scratch.path + "/link", what: "x") == scratch.path + "/link")
        #expect(throws: CommandFailure.self) { try OwnedDirectory.resolve(scratch.path + "/none/../x", what: "x") }
        #expect(throws: CommandFailure.self) { try OwnedDirectory.resolve("relative/x", what: "x") }
    }
}
