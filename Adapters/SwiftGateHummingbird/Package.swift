// swift-tools-version: 6.1
import PackageDescription

// SwiftGateHummingbird serves a Hummingbird 2 responder as a SwiftGate
// application. It is a package of its own so that an application that
// depends only on SwiftGate never fetches or builds swift-nio or Hummingbird.
let package = Package(
    name: "SwiftGateHummingbird",
    products: [
        .library(name: "SwiftGateHummingbird", targets: ["SwiftGateHummingbird"])
    ],
    dependencies: [
        .package(name: "mod_swiftgate", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "SwiftGateHummingbird",
            dependencies: [
                .product(name: "SwiftGate", package: "mod_swiftgate"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // What the adapter costs per request, without a host.
        .executableTarget(
            name: "SwiftGateHummingbirdBench",
            dependencies: [
                "SwiftGateHummingbird",
                .product(name: "SwiftGate", package: "mod_swiftgate"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "SwiftGateHummingbirdTests",
            dependencies: [
                "SwiftGateHummingbird",
                .product(name: "SwiftGateTesting", package: "mod_swiftgate"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
