import Glibc

/// Fetches a status page over plain HTTP/1.0 (what `swiftgate status`
/// needs, no more): `http://host[:port]/path`, one GET, the body whole.
enum StatusClient {
    /// The longest a fetch waits for the server, in milliseconds.
    static let timeoutMilliseconds: Int32 = 10_000
    /// The most a status document may hold.
    static let maximumBytes = 16 << 20

    /// Where a URL points.
    struct Target: Equatable {
        var host: String
        var port: UInt16
        var path: String
    }

    /// Splits an `http://` URL.
    ///
    /// - Throws: ``CommandFailure`` for anything but `http://host[:port][/path]`.
    static func target(_ url: String) throws -> Target {
        guard url.hasPrefix("http://") else {
            throw CommandFailure("\(url): only http:// URLs are supported (put the status page on a loopback address)")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var host = String(authority)
        var port: UInt16 = 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = UInt16(after.dropFirst()) else { throw CommandFailure("\(url): bad port") }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = UInt16(authority[authority.index(after: colon)...]) else {
                throw CommandFailure("\(url): bad port")
            }
            port = number
        }
        guard !host.isEmpty else { throw CommandFailure("\(url): no host") }
        return Target(host: host, port: port, path: path.isEmpty ? "/" : String(path))
    }

    /// GETs `url` with `query` in place of its own query string.
    ///
    /// - Returns: The body of a 200 response.
    /// - Throws: ``CommandFailure`` naming the URL and what went wrong.
    static func get(_ url: String, query: String) throws -> [UInt8] {
        let target = try target(url)
        let fd = try connect(target, url: url)
        defer { close(fd) }
        let path = target.path.prefix { $0 != "?" }
        let authority = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        let request = Array("GET \(path)?\(query) HTTP/1.0\r\nHost: \(authority)\r\nAccept: */*\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw CommandFailure("\(url): sending the request failed: \(errorText())") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var watch = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&watch, 1, timeoutMilliseconds) > 0 else {
                throw CommandFailure("\(url): no answer within \(timeoutMilliseconds / 1000) s")
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw CommandFailure("\(url): reading the answer failed: \(errorText())") }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
            guard response.count <= maximumBytes else { throw CommandFailure("\(url): the answer is too large") }
        }
        return try body(of: response, url: url)
    }

    /// The body of a whole HTTP/1.x response, which must be a 200.
    static func body(of response: [UInt8], url: String) throws -> [UInt8] {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else {
            throw CommandFailure("\(url): the answer is not HTTP")
        }
        let head = String(decoding: response[..<end], as: UTF8.self)
        let statusLine = head.prefix { $0 != "\r" }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1.") else {
            throw CommandFailure("\(url): the answer is not HTTP")
        }
        guard parts[1] == "200" else {
            throw CommandFailure(
                "\(url): the server answered \(parts.dropFirst().joined(separator: " ")) "
                    + "(is SetHandler swiftgate-status there, and does Require let this host in?)"
            )
        }
        return Array(response[(end + separator.count)...])
    }

    private static func connect(_ target: Target, url: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw CommandFailure("\(url): cannot resolve \(target.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var failure = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            failure = errorText()
            close(fd)
        }
        throw CommandFailure("\(url): cannot connect to \(target.host):\(target.port): \(failure)")
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
