// swift-tools-version: 6.1
import PackageDescription

// SwiftGateVapor serves a Vapor 4 application as a SwiftGate application. It
// is a package of its own so that an application that depends only on
// SwiftGate never fetches or builds swift-nio or Vapor.
let package = Package(
    name: "SwiftGateVapor",
    products: [
        .library(name: "SwiftGateVapor", targets: ["SwiftGateVapor"]),
        // The project's own tests and benchmark load this one; applications do not.
        .library(name: "SwiftGateVaporTestApp", type: .dynamic, targets: ["SwiftGateVaporTestApp"]),
    ],
    dependencies: [
        .package(name: "mod_swiftgate", path: "../.."),
        .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // SwiftGate reads YAML settings files through swift-configuration's
        // YAML trait; naming it here too lets a package that depends on this
        // one resolve it (SwiftPM does not carry a trait down two levels).
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
    ],
    targets: [
        .target(
            name: "SwiftGateVapor",
            dependencies: [
                .product(name: "SwiftGate", package: "mod_swiftgate"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            // A nonisolated async function runs on its caller's executor
            // (SE-0461): no executor switch per call on the request path.
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // The routes the unit tests and the real-Apache tests (Tests/adapters)
        // serve, and the Vapor hello application `make bench` measures.
        .target(
            name: "SwiftGateVaporTestApp",
            dependencies: [
                "SwiftGateVapor",
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
        // The same application on Vapor's own server, for `make bench`.
        .executableTarget(
            name: "VaporHelloServer",
            dependencies: [
                "SwiftGateVaporTestApp",
                .product(name: "Vapor", package: "vapor"),
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
                "SwiftGateVaporTestApp",
                .product(name: "SwiftGateTesting", package: "mod_swiftgate"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
