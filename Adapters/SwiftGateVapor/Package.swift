// swift-tools-version: 6.1
import PackageDescription

// SwiftGateVapor serves a Vapor 4 application as a SwiftGate application. It
// is a package of its own so that an application that depends only on
// SwiftGate never fetches or builds swift-nio or Vapor.
let package = Package(
    name: "SwiftGateVapor",
    products: [
        .library(name: "SwiftGateVapor", targets: ["SwiftGateVapor"])
    ],
    dependencies: [
        .package(name: "mod_swiftgate", path: "../.."),
        .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        .target(
            name: "SwiftGateVapor",
            dependencies: [
                .product(name: "SwiftGate", package: "mod_swiftgate"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // What the adapter costs per request, without a host.
        .executableTarget(
            name: "SwiftGateVaporBench",
            dependencies: [
                "SwiftGateVapor",
                .product(name: "SwiftGate", package: "mod_swiftgate"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "SwiftGateVaporTests",
            dependencies: [
                "SwiftGateVapor",
                .product(name: "SwiftGateTesting", package: "mod_swiftgate"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
