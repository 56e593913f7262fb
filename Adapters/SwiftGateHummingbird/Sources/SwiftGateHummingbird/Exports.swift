import SwiftGate

// The settings type the export factories receive, so that an application
// can name it without importing SwiftGate (whose `Request`, `Response` and
// `Router` would clash with Hummingbird's).
@_exported import struct SwiftGate.Settings

/// The CGI/1.1 variables Apache computed for a request, with typed access
/// to the common ones (SwiftGate's `RequestEnviron`, under a name that does
/// not need SwiftGate imported).
public typealias SwiftGateEnviron = SwiftGate.RequestEnviron
