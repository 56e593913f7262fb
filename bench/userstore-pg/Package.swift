// swift-tools-version: 6.1
import PackageDescription

// Measures the user store's password lookup over the two maintained
// PostgreSQL drivers: libpq (what SwiftGateUsers uses) and PostgresNIO.
// A package of its own so that the root package names no NIO; not built by
// `make test`. Run: swift run -c release UserStoreBench postgres://…
let package = Package(
    name: "userstore-pg-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "mod_swiftgate", path: "../.."),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "UserStoreBench",
            dependencies: [
                .product(name: "SwiftGateUsers", package: "mod_swiftgate"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        )
    ]
)
