// The settings type the export factories receive, so that an application
// can name it without importing SwiftGate (whose `Request`, `Response` and
// `Router` would clash with Hummingbird's).
@_exported import struct SwiftGate.Settings
