// swift-tools-version: 6.1
// The "hello" application as a standalone Hummingbird 2 server: the peer
// that `mod_proxy_http → Hummingbird` measures. Built by bench/run. (It has
// a folder of its own: a root package in a folder named "hummingbird"
// would take the dependency's identity, "hummingbird".)
import PackageDescription

let package = Package(
    name: "HelloHummingbird",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "HelloHummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ]
)
