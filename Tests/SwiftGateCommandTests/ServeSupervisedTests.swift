import ArgumentParser
import Testing

@testable import swiftgate

/// What `swiftgate serve --processes` hands swiftgate-supervise.
@Suite struct ServeSupervisedTests {
    private func supervised(_ arguments: [String], socketFile: String? = nil) throws -> ServeSupervised {
        let serve = try Serve.parse(["--fastcgi", "127.0.0.1:9000"] + arguments + ["/srv/libApp.so"])
        return try serve.supervised(
            processes: serve.processes ?? 0,
            listenFD: 7,
            label: "127.0.0.1:9000",
            socketFile: socketFile,
            library: "/srv/libApp.so"
        )
    }

    @Test func theServeFlagsBecomeTheGroupsOptionsBeforeTheGivenOnes() throws {
        let s = try supervised([
            "--processes", "3", "--threads", "4", "--request-timeout", "30", "--option", "maximum-requests=100",
            "--supervisor-path", "/bin/true",
        ])
        #expect(s.groupOptions == ["processes=3", "threads=4", "request-timeout=30", "maximum-requests=100"])
        let arguments = s.arguments(secretFD: 9)
        #expect(arguments.first?.hasSuffix("/true") == true)
        #expect(
            Array(arguments.suffix(5)) == [
                "--", "processes=3", "threads=4", "request-timeout=30", "maximum-requests=100",
            ]
        )
        #expect(arguments.contains("--secret-fd") && arguments.contains("9"))
        #expect(arguments[arguments.firstIndex(of: "--listen-fd")! + 1] == "7")
    }

    @Test func onlyASocketServeBoundItselfIsGivenToRemove() throws {
        let flags = ["--processes", "2", "--supervisor-path", "/bin/true"]
        let bound = try supervised(flags, socketFile: "/run/app/app.sock").arguments(secretFD: 9)
        #expect(bound[bound.firstIndex(of: "--remove-socket")! + 1] == "/run/app/app.sock")
        #expect(!(try supervised(flags).arguments(secretFD: 9)).contains("--remove-socket"))
    }

    @Test func anAdaptivePoolTakesProcessesAsItsLargestSize() throws {
        let s = try supervised([
            "--processes", "6", "--option", "min-processes=2", "--option", "max-processes=6",
            "--supervisor-path", "/bin/true",
        ])
        #expect(s.groupOptions.first == "max-processes=6")
        #expect(!s.groupOptions.contains { $0.hasPrefix("processes=") })
        #expect(throws: CommandFailure.self) {
            try supervised([
                "--processes", "4", "--option", "max-processes=6", "--supervisor-path", "/bin/true",
            ])
        }
    }

    @Test(arguments: [
        ["--option", "maximum-requests=5"],
        ["--control", "/run/x"],
        ["--processes", "2", "--allow-root"],
        ["--processes", "0"],
        ["--processes", "2", "--option", "no-equals-sign"],
    ])
    func misusedFlagsAreRefusedAtParse(arguments: [String]) {
        #expect(throws: (any Error).self) {
            try Serve.parse(["--fastcgi", "127.0.0.1:9000"] + arguments + ["/srv/libApp.so"])
        }
    }

    @Test func fractionalTimeoutsAreRefusedWithProcesses() {
        #expect(throws: CommandFailure.self) {
            try supervised(["--processes", "2", "--queue-timeout", "0.5", "--supervisor-path", "/bin/true"])
        }
    }
}
