import Configuration
import SystemPackage

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A site's settings: a JSON or YAML file named by `SWIFTGATE_SETTINGS`,
/// overridden by the process environment.
///
/// The host sets `SWIFTGATE_SETTINGS` for the process (`settings=` on
/// `SwiftGateScriptAlias` or `SwiftGateDaemonProcess`), so each process has
/// one settings module, as a Django process has one `DJANGO_SETTINGS_MODULE`.
/// Keys are dotted (`database.path`); the environment variable for a key is
/// its upper-cased, underscored form (`DATABASE_PATH`) and wins over the file.
public struct Settings: Sendable {
    /// The environment variable that names the settings file.
    public static let environmentVariable = "SWIFTGATE_SETTINGS"

    /// The swift-configuration reader behind these settings.
    public let config: ConfigReader
    /// The settings file, when one was named.
    public let path: String?

    /// Loads the settings of this process.
    ///
    /// - Parameter environment: The environment to read; the process's own
    ///   by default.
    /// - Returns: The settings.
    /// - Throws: ``SettingsError`` when the named file is missing or is not
    ///   valid JSON (or YAML, for files ending in `.yaml` or `.yml`).
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> Settings {
        let env = EnvironmentVariablesProvider(environmentVariables: environment)
        guard let path = environment[environmentVariable], !path.isEmpty else {
            return Settings(config: ConfigReader(provider: env), path: nil)
        }
        do {
            let file: any ConfigProvider
            if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
                file = try await FileProvider<YAMLSnapshot>(filePath: FilePath(path))
            } else {
                file = try await FileProvider<JSONSnapshot>(filePath: FilePath(path))
            }
            return Settings(config: ConfigReader(providers: [env, file]), path: path)
        } catch {
            throw SettingsError(path: path, reason: "\(error)")
        }
    }

    /// Settings from fixed values, for tests and development.
    ///
    /// - Parameter values: Keys in environment form (`DATABASE_PATH`).
    public init(environment values: [String: String]) {
        self.init(config: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: values)), path: nil)
    }

    init(config: ConfigReader, path: String?) {
        self.config = config
        self.path = path
    }

    /// A string setting.
    ///
    /// - Parameter key: The dotted key.
    /// - Returns: Its value, or `nil` when unset.
    public func string(_ key: String) -> String? {
        config.string(forKey: ConfigKey(key))
    }

    /// A string setting with a default.
    public func string(_ key: String, default value: String) -> String {
        config.string(forKey: ConfigKey(key), default: value)
    }

    /// An integer setting with a default.
    public func int(_ key: String, default value: Int) -> Int {
        config.int(forKey: ConfigKey(key), default: value)
    }

    /// A Boolean setting with a default.
    public func bool(_ key: String, default value: Bool) -> Bool {
        config.bool(forKey: ConfigKey(key), default: value)
    }
}

/// Thrown when a settings file cannot be read.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What went wrong.
    public let reason: String

    public var description: String { "cannot load settings from \(path): \(reason)" }
}
