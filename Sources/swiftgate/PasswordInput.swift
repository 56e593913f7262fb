import Glibc

/// Reads a new password: from the terminal without echo, asked twice, or,
/// when standard input is not a terminal, as the first line of it.
enum PasswordInput {
    /// The shortest password the command line accepts, in characters.
    static let minimumLength = 8

    /// Reads and checks a new password.
    ///
    /// - Parameter user: The user it is for, named in the prompt.
    /// - Returns: The password.
    /// - Throws: ``CommandFailure`` for an empty or short password, two
    ///   entries that differ, or no input at all.
    static func readNew(for user: String) throws -> String {
        let password: String
        if isatty(STDIN_FILENO) == 1 {
            let first = try prompt("New password for \(user): ")
            try check(first)
            let second = try prompt("Repeat the password: ")
            guard first == second else { throw CommandFailure("the two passwords differ") }
            password = first
        } else {
            guard let line = readLine(strippingNewline: true) else {
                throw CommandFailure("passwords must not be empty (no password on standard input)")
            }
            password = line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
        try check(password)
        return password
    }

    private static func check(_ password: String) throws {
        guard !password.isEmpty else { throw CommandFailure("passwords must not be empty") }
        guard password.count >= minimumLength else {
            throw CommandFailure("passwords must be at least \(minimumLength) characters")
        }
    }

    /// Turns echo off, prints `text` on stderr and reads a line from the
    /// terminal; echo comes back even when reading fails.
    ///
    /// Echo goes off before the prompt shows, so nothing typed in answer
    /// to it is echoed or discarded by the switch.
    ///
    /// Ctrl-C or a SIGTERM at the prompt also gives echo back before the
    /// signal ends the command.
    private static func prompt(_ text: String) throws -> String {
        var saved = termios()
        let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
        if haveTerminal {
            savedTerminal = saved
            signal(SIGINT, restoreAndDie)
            signal(SIGTERM, restoreAndDie)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if haveTerminal {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
            }
        }
        writeError(text)
        guard let line = readLine(strippingNewline: true) else {
            writeError("\n")
            throw CommandFailure("no password given")
        }
        return line
    }

    /// The terminal's settings before a prompt, for ``restoreAndDie``.
    nonisolated(unsafe) private static var savedTerminal = termios()

    /// A signal during a prompt: the terminal's settings come back, then the
    /// signal does what it would have done (only async-signal-safe calls).
    private static let restoreAndDie: @convention(c) (Int32) -> Void = { signalNumber in
        tcsetattr(STDIN_FILENO, TCSANOW, &PasswordInput.savedTerminal)
        signal(signalNumber, SIG_DFL)
        raise(signalNumber)
    }

    private static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
