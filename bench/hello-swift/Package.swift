// swift-tools-version: 6.1
// The benchmark's hello application as a SwiftGate library (libHello.so),
// built against this checkout: swift build -c release --package-path bench/hello-swift
import PackageDescription

let package = Package(
    name: "Hello",
    products: [
        .library(name: "Hello", type: .dynamic, targets: ["Hello"])
    ],
    dependencies: [
        // Named, so that the product reference does not depend on the name
        // of the folder the checkout lives in.
        .package(name: "mod_swiftgate", path: "../..")
    ],
    targets: [
        .target(
            name: "Hello",
            dependencies: [.product(name: "SwiftGate", package: "mod_swiftgate")]
        )
    ]
)
