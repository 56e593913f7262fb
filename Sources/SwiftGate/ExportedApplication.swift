/// An application made known to a host by its library's callable object.
///
/// Declare one per application, as a C symbol the host looks up by name
/// (`SwiftGateCallableObject`, default `swiftgate_application`):
///
/// ```swift
/// @_cdecl("swiftgate_application")
/// public func application() -> UnsafeMutableRawPointer {
///     export { settings in try await MySite(settings: settings) }
/// }
/// ```
public final class ExportedApplication: Sendable {
    let factory: @Sendable (Settings) async throws -> any Application

    init(factory: @escaping @Sendable (Settings) async throws -> any Application) {
        self.factory = factory
    }

    /// Recovers the object behind a pointer made by ``export(_:)-(Application)``.
    ///
    /// - Parameter pointer: What the callable object returned.
    /// - Returns: The exported application.
    public static func fromOpaque(_ pointer: UnsafeMutableRawPointer) -> ExportedApplication {
        Unmanaged<ExportedApplication>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Builds the application.
    ///
    /// - Parameter settings: The process's settings.
    /// - Returns: The application.
    /// - Throws: What the application's factory throws.
    public func makeApplication(settings: Settings) async throws -> any Application {
        try await factory(settings)
    }
}

/// Exports an application that needs no settings.
///
/// - Parameter application: The application.
/// - Returns: The pointer the callable object returns to the host.
public func export(_ application: some Application) -> UnsafeMutableRawPointer {
    export { _ in application }
}

/// Exports an application built from the process's settings when the host
/// starts it (once per process and application group).
///
/// - Parameter factory: Builds the application; a thrown error is logged by
///   the host and the application answers 500.
/// - Returns: The pointer the callable object returns to the host.
public func export(
    _ factory: @escaping @Sendable (Settings) async throws -> some Application
) -> UnsafeMutableRawPointer {
    let exported = ExportedApplication { settings in try await factory(settings) }
    return Unmanaged.passRetained(exported).toOpaque()
}
