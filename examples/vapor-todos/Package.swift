// swift-tools-version: 6.1
import PackageDescription

// A todo JSON API written with Vapor 4, served by mod_swiftgate.
// Build: swift build -c release; serve: swiftgate express start-server
// .build/release/libVaporTodos.so
let package = Package(
    name: "VaporTodos",
    products: [
        .library(name: "VaporTodos", type: .dynamic, targets: ["VaporTodos"])
    ],
    dependencies: [
        .package(path: "../../Adapters/SwiftGateVapor"),
        .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "VaporTodos",
            dependencies: [
                .product(name: "SwiftGateVapor", package: "SwiftGateVapor"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        )
    ]
)
