import Logging
import ServiceLifecycle

/// The services an application runs beside its routes (a database client, a
/// job scheduler), as Hummingbird's `Application(router:services:)` runs
/// them: one `ServiceGroup`, started when the application is made (after the
/// fork, in the Apache child or daemon that serves it) and shut down
/// gracefully when the host stops the application.
///
/// No signal handlers are installed: the process belongs to Apache or the
/// SwiftGate daemon, which tell the application to stop.
final class ApplicationServices: Sendable {
    private let group: ServiceGroup
    private let running: Task<Void, Never>

    /// Starts the services.
    ///
    /// - Parameters:
    ///   - services: The services, started in order and shut down in reverse.
    ///   - logger: The group's logger.
    init(_ services: [any Service], logger: Logger) {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                logger: logger
            )
        )
        self.group = group
        running = Task {
            do {
                try await group.run()
            } catch {
                logger.error("the application's services ended: \(error)")
            }
        }
    }

    /// Asks every service to shut down gracefully and waits until they did.
    func shutdown() async {
        await group.triggerGracefulShutdown()
        await running.value
    }
}
