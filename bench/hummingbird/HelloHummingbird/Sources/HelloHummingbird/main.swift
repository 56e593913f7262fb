// The benchmark's hello application on Hummingbird 2, with the same routes
// and the same bytes as bench/hello-swift and bench/hello-wsgi:
//   /        "Hello, World!\n"
//   /64k     65,536 bytes of "x"
//   /echo    the request body, sent back once it has all arrived: mod_proxy_http
//            sends the whole request body before it reads the response, so
//            an echo that answered while still reading would stall on a
//            body larger than the socket buffers (it does with 10 MiB)
//   /hello   "Hello, world!\n": the route and handler of the Hummingbird
//            adapter's test application (SwiftGateHummingbirdTestApp), the
//            hello `make bench` serves through swiftgate too, with the same
//            router options
// Usage: HelloHummingbird PORT (listens on 127.0.0.1 only).
import Hummingbird

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
let hello = ByteBuffer(string: "Hello, World!\n")
let big = ByteBuffer(repeating: UInt8(ascii: "x"), count: 65_536)

func plain(_ body: ByteBuffer) -> Response {
    Response(
        status: .ok,
        headers: [.contentType: "text/plain; charset=utf-8"],
        body: ResponseBody(byteBuffer: body)
    )
}

let router = Router(options: .autoGenerateHeadEndpoints)
router.get("/hello") { _, _ in "Hello, world!\n" }
router.get("/") { _, _ in plain(hello) }
router.get("/64k") { _, _ in plain(big) }
router.post("/echo") { request, _ in
    let body = try await request.body.collect(upTo: 64 << 20)
    return Response(
        status: .ok,
        headers: [.contentType: "application/octet-stream"],
        body: ResponseBody(byteBuffer: body)
    )
}

// No request logging: Hummingbird logs no requests without a middleware.
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "Hummingbird")
)
try await app.runService()
