import Glibc

/// `serve --fastcgi ADDRESS --processes N`: the daemon processes run under
/// mod_swiftgate's own supervision (swiftgate-supervise, the module's C
/// code built as a program), which replaces this process: the listening
/// socket, the secret and the group's options go with it, and the pid a
/// service manager knows stays the same.
struct ServeSupervised {
    /// swiftgate-supervise.
    var supervisor: String
    /// libSwiftGateDaemon.so; nil: beside the supervisor.
    var daemonLibrary: String?
    var library: String
    var callable: String?
    var applicationGroup: String?
    /// The listening socket, inherited by the supervisor.
    var listenFD: Int32
    /// What it listens on, for the log.
    var address: String
    /// The UNIX socket file serve bound for it, which it removes when it
    /// ends in order; nil for TCP and a socket systemd passed.
    var socketFile: String?
    /// The group's options, as SwiftGateDaemonProcess takes them.
    var groupOptions: [String]
    var control: String?
    var user: String?
    var logLevel: String?

    /// The supervisor's command line.
    ///
    /// - Parameter secretFD: The pipe the secret can be read from, if any.
    /// - Returns: The arguments, the program first.
    func arguments(secretFD: Int32?) -> [String] {
        var arguments = [supervisor, "--listen-fd", String(listenFD), "--address", address, "--library", library]
        if let secretFD { arguments += ["--secret-fd", String(secretFD)] }
        let optional: [(String, String?)] = [
            ("--callable", callable), ("--application-group", applicationGroup),
            ("--daemon-library", daemonLibrary), ("--control", control), ("--user", user),
            ("--log-level", logLevel), ("--remove-socket", socketFile),
        ]
        for case (let name, let value?) in optional { arguments += [name, value] }
        return arguments + ["--"] + groupOptions
    }

    /// Executes the supervisor in this process.
    ///
    /// - Parameter secret: The secret front-ends must send (empty: none).
    /// - Throws: ``CommandFailure`` when it cannot be executed; on success
    ///   it does not return.
    func exec(secret: [UInt8]) throws -> Never {
        var secretFD: Int32?
        if !secret.isEmpty {
            // A pipe, not an argument or the environment: neither is
            // private to this process.
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else {
                throw CommandFailure("cannot make a pipe: \(String(cString: strerror(errno)))")
            }
            let written = (secret + [10]).withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
            close(fds[1])
            guard written == secret.count + 1 else {
                close(fds[0])
                throw CommandFailure("cannot pass the secret to swiftgate-supervise")
            }
            secretFD = fds[0]
        }
        for fd in [listenFD] + (secretFD.map { [$0] } ?? []) {
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) & ~FD_CLOEXEC)
        }
        let argv = arguments(secretFD: secretFD)
        fflushStdout()
        var cArguments = argv.map { strdup($0) }
        cArguments.append(nil)
        execv(supervisor, &cArguments)
        let failure = String(cString: strerror(errno))
        throw CommandFailure("cannot run \(supervisor): \(failure)")
    }

    /// Whole seconds for a group option: the supervision counts in seconds.
    static func wholeSeconds(_ name: String, _ value: Double) throws -> String {
        guard value == value.rounded(.down) else {
            throw CommandFailure("\(name): with --processes, give whole seconds (the supervision counts in seconds)")
        }
        return String(Int(value))
    }
}
