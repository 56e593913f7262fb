// swift-tools-version: 6.1
import PackageDescription

// A todo JSON API written with Hummingbird 2, served by mod_swiftgate.
// Build: swift build -c release; serve: swiftgate express start-server
// .build/release/libHummingbirdTodos.so
let package = Package(
    name: "HummingbirdTodos",
    products: [
        .library(name: "HummingbirdTodos", type: .dynamic, targets: ["HummingbirdTodos"])
    ],
    dependencies: [
        .package(path: "../../Adapters/SwiftGateHummingbird"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "HummingbirdTodos",
            dependencies: [
                .product(name: "SwiftGateHummingbird", package: "SwiftGateHummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        )
    ]
)
