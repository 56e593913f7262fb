// swift-tools-version: 6.1
import PackageDescription

// SwiftGateHummingbird serves a Hummingbird 2 responder as a SwiftGate
// application. It is a package of its own so that an application that
// depends only on SwiftGate never fetches or builds swift-nio or Hummingbird.
let package = Package(
    name: "SwiftGateHummingbird",
    products: [
        .library(name: "SwiftGateHummingbird", targets: ["SwiftGateHummingbird"]),
        // The project's own tests and benchmark load this one; applications do not.
        .library(name: "SwiftGateHummingbirdTestApp", type: .dynamic, targets: ["SwiftGateHummingbirdTestApp"]),
    ],
    dependencies: [
        .package(name: "mod_swiftgate", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // SwiftGate reads YAML settings files through swift-configuration's
        // YAML trait; naming it here too lets a package that depends on this
        // one resolve it (SwiftPM does not carry a trait down two levels).
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
    ],
    targets: [
        .target(
            name: "SwiftGateHummingbird",
            dependencies: [
                .product(name: "SwiftGate", package: "mod_swiftgate"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            // A nonisolated async function runs on its caller's executor
            // (SE-0461): no executor switch per call on the request path.
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // The routes the unit tests and the real-Apache tests (Tests/adapters)
        // serve, and the Hummingbird hello application `make bench` measures.
        .target(
            name: "SwiftGateHummingbirdTestApp",
            dependencies: [
                "SwiftGateHummingbird",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
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
                "SwiftGateHummingbirdTestApp",
                .product(name: "SwiftGateTesting", package: "mod_swiftgate"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
