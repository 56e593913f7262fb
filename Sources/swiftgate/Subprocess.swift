import Glibc

/// Runs other programs: Apache, apxs.
enum Subprocess {
    /// Starts `arguments` (the first one looked up on PATH).
    ///
    /// - Parameters:
    ///   - arguments: The program and its arguments.
    ///   - ownProcessGroup: Whether the child leads a process group of its
    ///     own, so a terminal's Ctrl-C reaches only this command, which
    ///     stops the child in order, and everything it forks can be found.
    ///   - output: A descriptor for the child's stdout and stderr, or nil to
    ///     share this process's.
    /// - Returns: The child's process id.
    /// - Throws: ``CommandFailure`` when it cannot start.
    static func spawn(_ arguments: [String], ownProcessGroup: Bool = false, output: Int32? = nil) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF)
        if ownProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
            posix_spawn_file_actions_adddup2(&actions, output, STDERR_FILENO)
        }
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, arguments[0], &actions, &attributes, cArguments, environ)
        guard rc == 0 else {
            throw CommandFailure("cannot run \(arguments[0]): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Runs `arguments` to the end and returns its exit status and output
    /// (stdout and stderr together).
    static func output(_ arguments: [String]) throws -> (status: Int32, text: String) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw CommandFailure("cannot make a pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        let pid: pid_t
        do {
            pid = try spawn(arguments, output: fds[1])
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        close(fds[0])
        return (wait(pid), String(decoding: bytes, as: UTF8.self))
    }

    /// Waits for `pid` and returns its exit status (128 + signal when it
    /// was killed).
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 1 }
        }
        return exitStatus(status)
    }

    /// The exit status in a waitpid status word.
    static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// The first executable called `name` on PATH.
    static func which(_ name: String) -> String? {
        let path = String(cString: getenv("PATH") ?? strdup("/usr/local/bin:/usr/bin:/bin"))
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// Flushes stdout, so a banner shows before a child writes to the terminal.
func fflushStdout() {
    fflush(nil)
}
