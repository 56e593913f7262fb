// swift-tools-version: 6.1
import PackageDescription

// The targets a request runs through: a nonisolated async function runs on
// its caller's executor (SE-0461), so calling one costs no executor switch.
let requestPath: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "mod_swiftgate",
    products: [
        // The gateway interface plus the runtime behind the entry points:
        // an application library depends on this product alone.
        .library(name: "SwiftGate", targets: ["SwiftGate", "SwiftGateRuntime"]),
        // The example site, loaded by mod_swiftgate.
        // In-memory serving for application tests.
        .library(name: "SwiftGateTesting", targets: ["SwiftGateTesting"]),
        .library(name: "ExampleSite", type: .dynamic, targets: ["ExampleSite"]),
        // Applications the integration tests load into a real Apache.
        .library(name: "SwiftGateTestApp", type: .dynamic, targets: ["SwiftGateTestApp"]),
        // The daemon host: mod_swiftgate's daemon processes open it and call
        // swiftgate_daemon_main; it serves FastCGI and opens applications.
        // The FastCGI codec and the hosting layer link into it; the
        // development server does not.
        .library(name: "SwiftGateDaemon", type: .dynamic, targets: ["SwiftGateDaemon"]),
        // An application user store (SQLite) with Django-compatible password
        // hashes, for sites and for `swiftgate users`.
        .library(name: "SwiftGateUsers", targets: ["SwiftGateUsers"]),
        // The command line (serve --fastcgi, users, and more to come).
        .executable(name: "swiftgate", targets: ["swiftgate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The runtime's metrics backend (CoreMetrics only: no NIO).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // THE ABI between mod_swiftgate (C) and the Swift runtime.
        .target(name: "CSwiftGate"),
        // Swift's global executor, kept on the serving thread during a request.
        .target(name: "CSwiftGateExecutor"),
        .target(
            name: "SwiftGate",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: requestPath
        ),
        .target(
            name: "SwiftGateRuntime",
            dependencies: [
                "SwiftGate", "CSwiftGate", "CSwiftGateExecutor",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: requestPath
        ),
        .target(
            name: "SwiftGateTesting",
            dependencies: ["SwiftGate"]
        ),
        .target(
            name: "ExampleSite",
            dependencies: [
                "SwiftGate", "SwiftGateRuntime", "SwiftGateUsers",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "SwiftGateTestApp",
            dependencies: [
                "SwiftGate", "SwiftGateRuntime",
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The hosts' layers. A host opens application libraries, each with
        // its own runtime, so none of these links SwiftGate or
        // SwiftGateRuntime.
        // FastCGI records, name-value pairs and the request description.
        .target(
            name: "SwiftGateFastCGI",
            dependencies: ["CSwiftGate"]
        ),
        // What every host shares: application libraries and their registry,
        // the ABI callbacks (HostedRequest), response-head checks, POSIX
        // helpers, logging.
        .target(
            name: "SwiftGateHosting",
            dependencies: ["CSwiftGate"]
        ),
        // The FastCGI daemon: supervision, the connection server and its
        // poller, the authorizer role.
        .target(
            name: "SwiftGateDaemon",
            dependencies: ["SwiftGateFastCGI", "SwiftGateHosting", "CSwiftGate", "CSwiftGatePoller"]
        ),
        // epoll for the daemon's workers (not imported by Swift's Glibc).
        .target(name: "CSwiftGatePoller"),
        // The development HTTP/1.1 server, linked by the command line only.
        .target(
            name: "SwiftGateDevServer",
            dependencies: ["SwiftGateFastCGI", "SwiftGateHosting", "CSwiftGate"]
        ),
        .target(
            name: "SwiftGateUsers",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "swiftgate",
            dependencies: [
                "SwiftGateDaemon",
                "SwiftGateDevServer",
                "SwiftGateHosting",
                "SwiftGateUsers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // One test target per module.
        .testTarget(
            name: "SwiftGateTests",
            dependencies: ["SwiftGate", "SwiftGateTesting"]
        ),
        .testTarget(
            name: "SwiftGateRuntimeTests",
            dependencies: ["SwiftGate", "SwiftGateRuntime", "CSwiftGate"]
        ),
        .testTarget(
            name: "SwiftGateFastCGITests",
            dependencies: ["SwiftGateFastCGI", "CSwiftGate"]
        ),
        .testTarget(
            name: "SwiftGateHostingTests",
            dependencies: ["SwiftGateHosting"]
        ),
        .testTarget(
            name: "SwiftGateDaemonTests",
            dependencies: ["SwiftGateDaemon", "SwiftGateFastCGI", "CSwiftGate"]
        ),
        .testTarget(
            name: "SwiftGateDevServerTests",
            dependencies: ["SwiftGateDevServer"]
        ),
        .testTarget(
            name: "SwiftGateUsersTests",
            dependencies: ["SwiftGateUsers"]
        ),
        // The command line's pure pieces (option checks, httpd.conf
        // quoting, the server root's directory checks).
        .testTarget(
            name: "SwiftGateCommandTests",
            dependencies: ["swiftgate"]
        ),
    ]
)
