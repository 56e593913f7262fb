import SwiftGate

/// The example site's callable object: what `SwiftGateScriptAlias` loads
/// (the default name, `swiftgate_application`).
@_cdecl("swiftgate_application")
public func application() -> UnsafeMutableRawPointer {
    export { settings in try await ExampleSite(settings: settings) }
}
