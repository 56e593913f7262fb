import SwiftGateVapor
import Vapor

/// The library's callable object: what `SwiftGateScriptAlias` (or
/// `swiftgate express start-server`) loads. `configure` runs once per
/// process (Apache child or daemon), after the fork. On Vapor's own server
/// the same `configure` would be called from `@main`'s
/// `Application.make` / `app.execute()`.
@_cdecl("swiftgate_application")
public func application() -> UnsafeMutableRawPointer {
    export(configure)
}
