import SwiftGate

// The benchmark's hello application. Every path in bench/ serves the same
// routes with the same bytes (bench/hello-wsgi/hello.wsgi,
// bench/hummingbird, bench/ceiling/mod_bench_ceiling.c):
//   /               "Hello, World!\n"
//   /64k            65,536 bytes of "x"
//   /echo           POST: the request body, streamed back as it arrives
//   /download?mib=N N MiB of "x", streamed in 64 KiB writes (memory check)

let helloText = "Hello, World!\n"
let big = [UInt8](repeating: UInt8(ascii: "x"), count: 65_536)

@_cdecl("swiftgate_application")
public func application() -> UnsafeMutableRawPointer {
    export(
        ApplicationFunction { request in
            switch request.routePath {
            case "/":
                return .text(helloText)
            case "/64k":
                return Response(headerFields: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(bytes: big))
            case "/echo":
                return Response(
                    headerFields: [.contentType: "application/octet-stream"],
                    body: ResponseBody { writer in
                        for try await chunk in request.body {
                            try await writer.write(chunk)
                        }
                    })
            case "/download":
                let mib = max(0, min(Int(request.queryValue("mib") ?? "") ?? 1, 4096))
                return Response(
                    headerFields: [.contentType: "application/octet-stream"],
                    body: ResponseBody { writer in
                        for _ in 0..<(mib * 16) {
                            try await writer.write(big)
                        }
                    })
            default:
                return .text("Not Found\n", status: .notFound)
            }
        })
}
