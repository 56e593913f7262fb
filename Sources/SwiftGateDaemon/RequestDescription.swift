import CSwiftGate

/// The environ and header fields of one request, built from its PARAMS,
/// in one buffer that the `swiftgate_pair`s handed to the application point
/// into (each name and value NUL-terminated).
///
/// The environ is every PARAMS pair, plus the `swiftgate.*` keys the daemon
/// adds. The header fields are rebuilt from the `HTTP_*` variables
/// (`HTTP_X_FOO_BAR` becomes `X-Foo-Bar`) and from `CONTENT_TYPE` and
/// `CONTENT_LENGTH`, which CGI keeps apart.
struct RequestDescription {
    private(set) var storage: [UInt8]
    private(set) var environ: [FastCGIPairSpan]
    private(set) var headers: [FastCGIPairSpan] = []

    /// The keys the daemon fills in when the front-end did not.
    enum Key {
        static let urlScheme = "swiftgate.url_scheme"
        static let multithread = "swiftgate.multithread"
        static let multiprocess = "swiftgate.multiprocess"
        static let version = "swiftgate.version"
        static let processGroup = "swiftgate.process_group"
        static let callable = "swiftgate.callable_object"
        static let applicationGroup = "swiftgate.application_group"
    }

    /// Builds the description of a request from its decoded PARAMS.
    ///
    /// Every name and value is copied with a NUL after it: the pairs carry
    /// their lengths, but an application written in C may still read them
    /// as C strings, as it can in embedded mode.
    ///
    /// - Parameters:
    ///   - params: The PARAMS bytes.
    ///   - spans: The pairs found in them.
    init(params: [UInt8], spans: [FastCGIPairSpan]) {
        storage = []
        storage.reserveCapacity(params.count + 2 * spans.count + 256)
        environ = []
        environ.reserveCapacity(spans.count + 8)
        for span in spans {
            let name = params[span.name]
            let pair = append(name: name, value: params[span.value])
            environ.append(pair)
            if name.count > 5, name.starts(with: "HTTP_".utf8) {
                appendHeader(fieldName(cgiName: name.dropFirst(5)), value: pair.value)
            } else if name.elementsEqual("CONTENT_TYPE".utf8), !span.value.isEmpty {
                appendHeader(Array("Content-Type".utf8), value: pair.value)
            } else if name.elementsEqual("CONTENT_LENGTH".utf8), !span.value.isEmpty {
                appendHeader(Array("Content-Length".utf8), value: pair.value)
            }
        }
    }

    /// Copies a name and a value, each followed by a NUL, into the buffer.
    private mutating func append(name: some Collection<UInt8>, value: some Collection<UInt8>) -> FastCGIPairSpan {
        let nameStart = storage.count
        storage.append(contentsOf: name)
        let nameEnd = storage.count
        storage.append(0)
        let valueStart = storage.count
        storage.append(contentsOf: value)
        let valueEnd = storage.count
        storage.append(0)
        return FastCGIPairSpan(name: nameStart..<nameEnd, value: valueStart..<valueEnd)
    }

    /// `X_FOO_BAR` → `X-Foo-Bar`.
    private func fieldName(cgiName: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(cgiName.count)
        var startOfWord = true
        for byte in cgiName {
            if byte == UInt8(ascii: "_") {
                out.append(UInt8(ascii: "-"))
                startOfWord = true
                continue
            }
            let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            let isLower = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
            if startOfWord, isLower {
                out.append(byte - 32)
            } else if !startOfWord, isUpper {
                out.append(byte + 32)
            } else {
                out.append(byte)
            }
            startOfWord = false
        }
        return out
    }

    private mutating func appendHeader(_ name: [UInt8], value: Range<Int>) {
        let start = storage.count
        storage.append(contentsOf: name)
        headers.append(FastCGIPairSpan(name: start..<storage.count, value: value))
        storage.append(0)
    }

    /// The value of the last environ variable called `name`.
    func value(_ name: String) -> String? {
        let utf8 = name.utf8
        for span in environ.reversed() where storage[span.name].elementsEqual(utf8) {
            return String(decoding: storage[span.value], as: UTF8.self)
        }
        return nil
    }

    /// The bytes of the last environ variable called `name`.
    func bytes(_ name: String) -> [UInt8]? {
        let utf8 = name.utf8
        for span in environ.reversed() where storage[span.name].elementsEqual(utf8) {
            return Array(storage[span.value])
        }
        return nil
    }

    /// Removes every environ variable called `name`, and the header field
    /// rebuilt from it.
    mutating func remove(_ name: String) {
        let utf8 = Array(name.utf8)
        let removed = environ.filter { storage[$0.name].elementsEqual(utf8) }.map(\.value)
        environ.removeAll { storage[$0.name].elementsEqual(utf8) }
        headers.removeAll { header in removed.contains(header.value) }
    }

    /// Sets an environ variable, replacing any the front-end sent.
    mutating func set(_ name: String, _ value: String) {
        let utf8 = Array(name.utf8)
        environ.removeAll { storage[$0.name].elementsEqual(utf8) }
        environ.append(append(name: utf8, value: Array(value.utf8)))
    }

    /// Sets an environ variable unless the front-end sent it.
    mutating func setIfAbsent(_ name: String, _ value: @autoclosure () -> String) {
        if self.value(name) == nil { set(name, value()) }
    }

    /// Adds the `swiftgate.*` keys: the scheme, threading and version when
    /// the front-end (nginx, mod_proxy_fcgi) did not send them, and always
    /// the process group, callable and application group actually used.
    mutating func addGatewayKeys(processGroup: String, callable: String, applicationGroup: String, threads: UInt32) {
        let https = value("HTTPS")?.lowercased() == "on" || value("REQUEST_SCHEME")?.lowercased() == "https"
        setIfAbsent(Key.urlScheme, https ? "https" : "http")
        setIfAbsent(Key.multithread, threads > 1 ? "1" : "0")
        setIfAbsent(Key.multiprocess, "1")
        setIfAbsent(Key.version, "1.0")
        set(Key.processGroup, processGroup)
        set(Key.callable, callable)
        set(Key.applicationGroup, applicationGroup)
    }

    /// Whether the request is HEAD, whose response body is dropped.
    var isHeadOnly: Bool { value("REQUEST_METHOD") == "HEAD" }

    /// The header fields as strings, for tests and logs.
    var headerFields: [(name: String, value: String)] {
        headers.map {
            (String(decoding: storage[$0.name], as: UTF8.self), String(decoding: storage[$0.value], as: UTF8.self))
        }
    }

    /// Calls `body` with the environ and the header fields as
    /// `swiftgate_pair`s pointing into the description's buffer.
    func withPairs<R>(
        _ body: (UnsafeBufferPointer<swiftgate_pair>, UnsafeBufferPointer<swiftgate_pair>) -> R
    ) -> R {
        storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                .assumingMemoryBound(to: CChar.self)
            func pair(_ span: FastCGIPairSpan) -> swiftgate_pair {
                swiftgate_pair(
                    name: base + span.name.lowerBound,
                    name_len: UInt64(span.name.count),
                    value: base + span.value.lowerBound,
                    value_len: UInt64(span.value.count)
                )
            }
            let environPairs = environ.map(pair)
            let headerPairs = headers.map(pair)
            return environPairs.withUnsafeBufferPointer { env in
                headerPairs.withUnsafeBufferPointer { hdrs in body(env, hdrs) }
            }
        }
    }
}
