// The adapters' Vapor test application on Vapor's own HTTP server, for
// `make bench` (the same routes as libSwiftGateVaporTestApp.so, behind
// mod_proxy_http instead of through SwiftGate).
//
//     VaporHelloServer serve --hostname 127.0.0.1 --port 8081

import SwiftGateVaporTestApp
import Vapor

let detected = try Environment.detect()
let app = try await Application.make(Environment(name: "production", arguments: detected.arguments))
app.logger.logLevel = .error
do {
    try await configure(app)
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    throw error
}
try await app.asyncShutdown()
