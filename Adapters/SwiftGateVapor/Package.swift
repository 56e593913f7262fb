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
    ],
    targets: [
        .target(
            name: "SwiftGateVapor",
            dependencies: [
                .product(name: "SwiftGate", package: "mod_swiftgate"),
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
        .testTarget(
            name: "SwiftGateVaporTests",
            dependencies: [
                "SwiftGateVapor",
                .product(name: "SwiftGateTesting", package: "mod_swiftgate"),
                .product(name: "Vapor", package: "vapor"),
            ]
        ),
    ]
)
