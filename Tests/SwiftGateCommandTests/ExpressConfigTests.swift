import Foundation
import Testing

@testable import swiftgate

/// The words Apache's `ap_getword_conf` reads from a line: inside double
/// quotes `\"` is a quote and `\\` a backslash.
private func apacheWords(_ line: Substring) -> [String] {
    var words: [String] = []
    var scalars = Array(line.unicodeScalars)[...]
    while true {
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        guard let first = scalars.first else { return words }
        var word = ""
        if first == "\"" {
            scalars.removeFirst()
            while let next = scalars.popFirst(), next != "\"" {
                if next == "\\", let escaped = scalars.first, escaped == "\"" || escaped == "\\" {
                    word.unicodeScalars.append(scalars.removeFirst())
                } else {
                    word.unicodeScalars.append(next)
                }
            }
        } else {
            while let next = scalars.first, next != " ", next != "\t" {
                word.unicodeScalars.append(scalars.removeFirst())
            }
        }
        words.append(word)
    }
}

@Suite struct ExpressConfigTests {
    private static let template = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../apache/express.conf.in"),
        encoding: .utf8
    )

    private func paths(settings: String?, library: String = "/srv/my app/libApp.so") -> ExpressConfig.Paths {
        ExpressConfig.Paths(
            serverRoot: "/run/swiftgate/express-8000",
            apacheModules: "/usr/lib/apache2/modules",
            module: "/run/swiftgate/express-8000/modules/mod_swiftgate.so",
            daemonLibrary: "/run/swiftgate/express-8000/modules/libSwiftGateDaemon.so",
            library: library,
            settings: settings,
            includes: ["/srv/extra \"conf\".conf"],
            aliases: [(url: "/static", directory: "/srv/my app/static")]
        )
    }

    @Test func everyValueReadsBackAsTheWordItWas() throws {
        let options = try ExpressOptions.parse([
            "/srv/my app/libApp.so", "--setenv", "GREETING", #"say "hi" \ now\"#, "--auth-group", "staff",
            "--callable-object", "shop_application", "--user", "www-data", "--group", "www-data",
        ])
        let settings = #"/srv/my app/set"tings.json"#
        let text = try ExpressConfig(options: options, paths: paths(settings: settings), asRoot: true)
            .render(Self.template)
        let lines = text.split(separator: "\n").map { $0.drop(while: { $0 == " " }) }
        func words(of directive: String) -> [String]? {
            lines.first(where: { $0.hasPrefix(directive + " ") }).map { Array(apacheWords($0).dropFirst()) }
        }
        #expect(words(of: "SetEnv") == ["GREETING", #"say "hi" \ now\"#])
        #expect(words(of: "SwiftGateDaemonProcess")?.last == "settings=" + settings)
        #expect(
            words(of: "SwiftGateScriptAlias")
                == ["/", "/srv/my app/libApp.so", "callable-object=shop_application", "process-group=express"]
        )
        #expect(words(of: "Require swiftgate-group")?.last == "staff")
        #expect(words(of: "User") == ["www-data"])
        #expect(words(of: "Include") == ["/srv/extra \"conf\".conf"])
        #expect(words(of: "Alias") == ["/static", "/srv/my app/static"])
        #expect(words(of: "LogLevel") == ["info"])
        #expect(words(of: "Listen") == ["127.0.0.1:8000"])
        #expect(!text.contains("@"), "a placeholder was left: \(text)")
    }

    @Test func aPathThatCannotBeWrittenIsRefused() throws {
        let options = try ExpressOptions.parse(["/srv/libApp.so"])
        for library in ["/srv/lib\nLoadModule evil_module /tmp/evil.so", "/srv/${HOME}/lib.so"] {
            #expect(throws: CommandFailure.self) {
                try ExpressConfig(options: options, paths: paths(settings: nil, library: library), asRoot: false)
                    .render(Self.template)
            }
        }
    }
}
