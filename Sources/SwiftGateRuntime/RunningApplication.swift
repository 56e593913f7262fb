import Logging
import SwiftGate

/// A started application: what `swiftgate_start` returns to the host.
final class RunningApplication: Sendable {
    let application: any Application
    let host: HostServices
    let logger: Logger
    /// Read-only environ entries the host does not know (callable name…).
    let callable: String

    init(application: any Application, host: HostServices, logger: Logger, callable: String) {
        self.application = application
        self.host = host
        self.logger = logger
        self.callable = callable
    }
}
