import CSwiftGate
import Glibc

/// The environ and header fields of one request, built from its PARAMS,
/// in one buffer that the `swiftgate_pair`s handed to the application point
/// into (each name and value NUL-terminated).
///
/// The environ is every PARAMS pair, plus the `swiftgate.*` keys the daemon
/// adds. The header fields are rebuilt from the `HTTP_*` variables
/// (`HTTP_X_FOO_BAR` becomes `X-Foo-Bar`) and from `CONTENT_TYPE` and
/// `CONTENT_LENGTH`, which CGI keeps apart.
package struct RequestDescription {
    package private(set) var storage: [UInt8]
    package private(set) var environ: [FastCGIPairSpan]
    package private(set) var headers: [FastCGIPairSpan] = []

    /// The keys the daemon fills in when the front-end did not.
    package enum Key {
        package static let urlScheme = SWIFTGATE_ENV_URL_SCHEME
        package static let multithread = SWIFTGATE_ENV_MULTITHREAD
        package static let multiprocess = SWIFTGATE_ENV_MULTIPROCESS
        package static let version = SWIFTGATE_ENV_VERSION
        package static let processGroup = SWIFTGATE_ENV_PROCESS_GROUP
        package static let callable = SWIFTGATE_ENV_CALLABLE_OBJECT
        package static let applicationGroup = SWIFTGATE_ENV_APPLICATION_GROUP
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
    package init(params: [UInt8], spans: [FastCGIPairSpan]) {
        storage = []
        storage.reserveCapacity(params.count + 2 * spans.count + 256)
        environ = []
        environ.reserveCapacity(spans.count + 8)
        params.withUnsafeBufferPointer { params in
            for span in spans {
                let name = UnsafeBufferPointer(rebasing: params[span.name])
                let pair = append(name: name, value: UnsafeBufferPointer(rebasing: params[span.value]))
                environ.append(pair)
                if name.count > 5, Self.equal(UnsafeBufferPointer(rebasing: name[..<(name.startIndex + 5)]), "HTTP_") {
                    appendHeader(
                        cgiName: UnsafeBufferPointer(rebasing: name[(name.startIndex + 5)...]),
                        value: pair.value
                    )
                } else if span.value.isEmpty {
                    continue
                } else if Self.equal(name, "CONTENT_TYPE") {
                    appendHeader(name: "Content-Type", value: pair.value)
                } else if Self.equal(name, "CONTENT_LENGTH") {
                    appendHeader(name: "Content-Length", value: pair.value)
                }
            }
        }
    }

    /// Whether `bytes` spell `text` (a length check and one `memcmp`).
    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && memcmp(bytes.baseAddress!, text.utf8Start, bytes.count) == 0
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

    /// Adds a header field named after its CGI variable: `X_FOO_BAR` →
    /// `X-Foo-Bar`.
    private mutating func appendHeader(cgiName: UnsafeBufferPointer<UInt8>, value: Range<Int>) {
        let start = storage.count
        var startOfWord = true
        for byte in cgiName {
            if byte == UInt8(ascii: "_") {
                storage.append(UInt8(ascii: "-"))
                startOfWord = true
                continue
            }
            let isUpper = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
            let isLower = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
            if startOfWord, isLower {
                storage.append(byte - 32)
            } else if !startOfWord, isUpper {
                storage.append(byte + 32)
            } else {
                storage.append(byte)
            }
            startOfWord = false
        }
        headers.append(FastCGIPairSpan(name: start..<storage.count, value: value))
        storage.append(0)
    }

    private mutating func appendHeader(name: StaticString, value: Range<Int>) {
        let start = storage.count
        storage.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        headers.append(FastCGIPairSpan(name: start..<storage.count, value: value))
        storage.append(0)
    }

    /// The index in ``environ`` of the last variable called `name`.
    private func lastIndex(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { wanted in
            storage.withUnsafeBufferPointer { all in
                for index in environ.indices.reversed() {
                    let span = environ[index].name
                    if span.count == wanted.count,
                        wanted.isEmpty
                            || memcmp(all.baseAddress! + span.lowerBound, wanted.baseAddress!, wanted.count) == 0
                    {
                        return index
                    }
                }
                return nil
            }
        }
    }

    /// Whether the bytes at `span` are `bytes`.
    private func equal(_ span: Range<Int>, _ bytes: [UInt8]) -> Bool {
        guard span.count == bytes.count else { return false }
        return bytes.isEmpty
            || storage.withUnsafeBufferPointer { all in
                memcmp(all.baseAddress! + span.lowerBound, bytes, bytes.count) == 0
            }
    }

    /// The value of the last environ variable called `name`.
    package func value(_ name: String) -> String? {
        guard let index = lastIndex(of: name) else { return nil }
        return storage.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[environ[index].value]), as: UTF8.self)
        }
    }

    /// The bytes of the last environ variable called `name`.
    package func bytes(_ name: String) -> [UInt8]? {
        lastIndex(of: name).map { Array(storage[environ[$0].value]) }
    }

    /// Whether the last environ variable called `name` is `value`, or
    /// there is none and `value` is `nil`.
    package func lastValue(_ name: String, equals value: [UInt8]?) -> Bool {
        switch (lastIndex(of: name), value) {
        case (nil, nil): true
        case (let index?, let value?): equal(environ[index].value, value)
        default: false
        }
    }

    /// Removes every environ variable called `name`, and the header field
    /// rebuilt from it.
    package mutating func remove(_ name: String) {
        while let index = lastIndex(of: name) {
            let value = environ.remove(at: index).value
            headers.removeAll { $0.value == value }
        }
    }

    /// Sets an environ variable, replacing any the front-end sent.
    package mutating func set(_ name: String, _ value: String) {
        let bytes = Array(value.utf8)
        if let index = lastIndex(of: name) {
            // The front-end usually sent the same value, once: keep it.
            let nameBytes = Array(name.utf8)
            if equal(environ[index].value, bytes), environ.firstIndex(where: { equal($0.name, nameBytes) }) == index {
                return
            }
            remove(name)
        }
        environ.append(append(name: name.utf8, value: bytes))
    }

    /// Sets an environ variable unless the front-end sent it.
    mutating func setIfAbsent(_ name: String, _ value: @autoclosure () -> String) {
        if lastIndex(of: name) == nil { set(name, value()) }
    }

    /// Adds the `swiftgate.*` keys: the scheme, threading and version when
    /// the front-end (nginx, mod_proxy_fcgi) did not send them, and always
    /// the process group, callable and application group actually used.
    package mutating func addGatewayKeys(
        processGroup: String,
        callable: String,
        applicationGroup: String,
        threads: UInt32
    ) {
        if lastIndex(of: Key.urlScheme) == nil {
            let scheme = isHTTPS ? "https" : "http"
            set(Key.urlScheme, scheme)
        }
        setIfAbsent(Key.multithread, threads > 1 ? "1" : "0")
        setIfAbsent(Key.multiprocess, "1")
        setIfAbsent(Key.version, SWIFTGATE_INTERFACE_VERSION)
        set(Key.processGroup, processGroup)
        set(Key.callable, callable)
        set(Key.applicationGroup, applicationGroup)
    }

    /// Whether the request is HEAD, whose response body is dropped.
    package var isHeadOnly: Bool { lastValue("REQUEST_METHOD", equals: Self.head) }

    private static let head = Array("HEAD".utf8)

    /// Whether the front-end says the request came over TLS.
    private var isHTTPS: Bool {
        value("HTTPS")?.lowercased() == "on" || value("REQUEST_SCHEME")?.lowercased() == "https"
    }

    /// The header fields as strings, for tests and logs.
    package var headerFields: [(name: String, value: String)] {
        headers.map {
            (String(decoding: storage[$0.name], as: UTF8.self), String(decoding: storage[$0.value], as: UTF8.self))
        }
    }

    /// Calls `body` with the environ and the header fields as
    /// `swiftgate_pair`s pointing into the description's buffer.
    package func withPairs<R>(
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
