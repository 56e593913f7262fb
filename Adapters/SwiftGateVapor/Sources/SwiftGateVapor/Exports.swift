// The settings type `app.swiftgate.settings` returns, so that an application
// can name it without importing SwiftGate (whose `Application`, `Request`,
// `Response` and `Middleware` would clash with Vapor's).
@_exported import struct SwiftGate.Settings
