import ArgumentParser
import Glibc

/// Where `restart` and `scale` find Apache's parent: the control socket
/// mod_swiftgate makes beside the daemon groups' sockets.
struct ControlSocketOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The control socket: SwiftGateSocketPrefix (DefaultRuntimeDir/swiftgate) followed by .control.",
            valueName: "path"
        )
    )
    var socket = "/var/run/apache2/swiftgate.control"

    @Option(help: ArgumentHelp("How long to wait for Apache's answer.", valueName: "seconds"))
    var timeout = 10

    /// Sends one command line and returns the answer.
    ///
    /// - Throws: ``CommandFailure`` when the socket cannot be reached, no
    ///   answer comes in time, or Apache answers with an error.
    func send(_ line: String) throws -> String {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CommandFailure("cannot make a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socket.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw CommandFailure("\(socket): path too long for a UNIX socket")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw CommandFailure(
                "cannot reach \(socket): \(String(cString: strerror(errno))) (is Apache running with daemon "
                    + "groups, and are you root or Apache's User?)"
            )
        }
        let bytes = Array((line + "\n").utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count
        else {
            throw CommandFailure("cannot send to \(socket): \(String(cString: strerror(errno)))")
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            var watch = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&watch, 1, Int32(timeout * 1000)) > 0 else {
                throw CommandFailure("no answer from \(socket) within \(timeout) s")
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[0..<count]
            if answer.contains(UInt8(ascii: "\n")) { break }  // one line is the whole answer
        }
        let text = String(decoding: answer, as: UTF8.self).trimmingTrailingNewlines
        if text.hasPrefix("ok: ") { return String(text.dropFirst(4)) }
        throw CommandFailure(text.hasPrefix("error: ") ? String(text.dropFirst(7)) : "unexpected answer: \(text)")
    }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }
}

/// `swiftgate restart GROUP`: a rolling restart of a daemon group.
struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace a daemon group's processes one at a time, without restarting Apache.",
        discussion: """
            Each replacement must start (and answer the group's health-check=) before the process \
            it replaces stops accepting; a replacement that fails is stopped and the old processes \
            keep serving. Apache logs the restart with who asked. Only root and Apache's User can \
            reach the control socket.
            """
    )

    @Argument(help: "The daemon group (SwiftGateDaemonProcess NAME).")
    var group: String

    @OptionGroup var control: ControlSocketOptions

    func run() throws {
        print(try control.send("restart \(group)"))
    }
}

/// `swiftgate scale GROUP N`: sets an adaptive group's number of processes.
struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set how many processes a daemon group with min-processes/max-processes runs.",
        discussion: """
            N must lie within the group's min-processes and max-processes; the pool then keeps \
            adapting to load from there. Apache logs the change with who asked.
            """
    )

    @Argument(help: "The daemon group (SwiftGateDaemonProcess NAME).")
    var group: String

    @Argument(help: "The number of processes.")
    var processes: Int

    @OptionGroup var control: ControlSocketOptions

    func validate() throws {
        guard processes >= 1 else { throw ValidationError("the number of processes must be 1 or more") }
    }

    func run() throws {
        print(try control.send("scale \(group) \(processes)"))
    }
}
