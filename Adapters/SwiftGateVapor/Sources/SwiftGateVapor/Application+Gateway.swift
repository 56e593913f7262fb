import SwiftGate
import Vapor

extension Vapor.Application {
    /// What SwiftGate gives a Vapor application: the process's settings and
    /// the gateway's limits.
    public var swiftgate: Gateway { Gateway(application: self) }

    /// SwiftGate's part of a Vapor application, reached as `app.swiftgate`.
    public struct Gateway: Sendable {
        let application: Vapor.Application

        struct SettingsKey: StorageKey {
            typealias Value = Settings
        }

        struct BodyLimitKey: StorageKey {
            typealias Value = ByteCount
        }

        /// The settings of the process: the file named by `settings=`
        /// (`SWIFTGATE_SETTINGS`), overridden by environment variables.
        ///
        /// Set before `configure(app)` runs; an application that was not
        /// started by SwiftGate (Vapor's own tests) sees environment
        /// variables only.
        public var settings: Settings {
            get { application.storage[SettingsKey.self] ?? Settings(environment: ProcessInfo.processInfo.environment) }
            nonmutating set { application.storage[SettingsKey.self] = newValue }
        }

        /// The largest request body the gateway hands to Vapor.
        ///
        /// Vapor 4's public API cannot give a request a body that is still
        /// arriving, so the gateway reads the body into memory first, up to
        /// this size (a larger one is answered 413 without being read to
        /// its end). Defaults to `app.routes.defaultMaxBodySize`; raise it
        /// for routes that take large uploads with `body: .stream`.
        public var maxRequestBodySize: ByteCount {
            get { application.storage[BodyLimitKey.self] ?? application.routes.defaultMaxBodySize }
            nonmutating set { application.storage[BodyLimitKey.self] = newValue }
        }
    }
}
