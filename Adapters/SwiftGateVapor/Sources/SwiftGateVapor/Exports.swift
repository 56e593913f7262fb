import SwiftGate

// The settings type `app.swiftgate.settings` returns, so that an application
// can name it without importing SwiftGate (whose `Application`, `Request`,
// `Response` and `Middleware` would clash with Vapor's).
@_exported import struct SwiftGate.Settings

/// The CGI/1.1 variables Apache computed for a request, with typed access
/// to the common ones (SwiftGate's `RequestEnviron`, under a name that does
/// not need SwiftGate imported).
public typealias SwiftGateEnviron = SwiftGate.RequestEnviron
