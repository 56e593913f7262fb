/// An application made known to a host: what ``export(_:)`` hands to the
/// host through the library's callable object, and what `swiftgate_start`
/// builds the application from.
package final class ExportedApplication: Sendable {
    let factory: @Sendable (Settings) async throws -> any Application

    init(factory: @escaping @Sendable (Settings) async throws -> any Application) {
        self.factory = factory
    }

    /// Recovers the object behind a pointer made by ``export(_:)``.
    ///
    /// - Parameter pointer: What the callable object returned.
    /// - Returns: The exported application.
    package static func fromOpaque(_ pointer: UnsafeMutableRawPointer) -> ExportedApplication {
        Unmanaged<ExportedApplication>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Builds the application.
    ///
    /// - Parameter settings: The process's settings.
    /// - Returns: The application.
    /// - Throws: What the application's factory throws.
    package func makeApplication(settings: Settings) async throws -> any Application {
        try await factory(settings)
    }
}

/// Exports an application that needs no settings.
///
/// Declare one callable object per application, as a C symbol the host
/// looks up by name (`SwiftGateCallableObject`, default
/// `swiftgate_application`):
///
/// ```swift
/// @_cdecl("swiftgate_application")
/// public func application() -> UnsafeMutableRawPointer {
///     export(MySite())
/// }
/// ```
///
/// - Parameter application: The application.
/// - Returns: The pointer the callable object returns to the host.
public func export(_ application: some Application) -> UnsafeMutableRawPointer {
    export { _ in application }
}

/// Exports an application built from the process's settings when the host
/// starts it (once per process and application group).
///
/// The factory returns any application: a type of the site's own, or an
/// `any Application` such as a ``MiddlewareGroup`` wrapped around it:
///
/// ```swift
/// @_cdecl("swiftgate_application")
/// public func application() -> UnsafeMutableRawPointer {
///     export { settings in
///         let site = try await MySite(settings: settings)
///         return MiddlewareGroup([RequestLog()]).wrapping(site)
///     }
/// }
/// ```
///
/// - Parameter factory: Builds the application; a thrown error is logged by
///   the host and the application answers 500.
/// - Returns: The pointer the callable object returns to the host.
public func export(
    _ factory: @escaping @Sendable (Settings) async throws -> any Application
) -> UnsafeMutableRawPointer {
    Unmanaged.passRetained(ExportedApplication(factory: factory)).toOpaque()
}
