import ArgumentParser

/// `swiftgate express module-config`: the lines an existing Apache needs.
struct ExpressModuleConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module-config",
        abstract: "Print the LoadModule line (and SwiftGateDaemonLibrary) for an existing Apache."
    )

    @Option(help: ArgumentHelp("mod_swiftgate.so (default: found as start-server finds it).", valueName: "file"))
    var modulePath: String?

    @Option(help: ArgumentHelp("libSwiftGateDaemon.so.", valueName: "file"))
    var daemonLibraryPath: String?

    func run() throws {
        let module = try ExpressLocator.module(modulePath)
        let daemon = try ExpressLocator.daemonLibrary(daemonLibraryPath, module: module)
        print("LoadModule swiftgate_module \"\(module)\"")
        if ExpressLocator.directory(of: daemon) != ExpressLocator.directory(of: module) {
            print("SwiftGateDaemonLibrary \"\(daemon)\"")
        }
    }
}
