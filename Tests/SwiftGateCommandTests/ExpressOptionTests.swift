import Testing

@testable import swiftgate

/// What `swiftgate express` lets into httpd.conf.
@Suite struct ExpressOptionTests {
    @Test(arguments: [
        ("/x\nLoadModule evil_module /tmp/evil.so", "holds a control character (\\n)"),
        ("a\rb", "holds a control character (\\r)"),
        ("tab\there", "holds a control character (\\t)"),
        ("del\u{7f}", "holds a control character (\\u{7f})"),
        ("${HOME}/x", "holds ${"),
    ])
    func valuesThatNoQuotingKeepsOneArgumentAreRefused(value: String, problem: String) {
        #expect(ApacheConfigValue.problem(with: value)?.hasPrefix(problem) == true)
        #expect(throws: CommandFailure.self) { try ApacheConfigValue.quoted(value, what: "--setenv") }
    }

    @Test func aRefusalNamesTheOptionAndShowsTheValueOnOneLine() {
        do {
            _ = try ApacheConfigValue.quoted("/x\nLoadModule m /tmp/m.so", what: "--mount-point")
            Issue.record("a newline was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("--mount-point"))
            #expect(message.contains("'/x\\nLoadModule m /tmp/m.so'"))
            #expect(!message.contains("\n"))
        }
    }

    @Test func quotingEscapesBackslashesAndQuotes() throws {
        #expect(try ApacheConfigValue.quoted("plain", what: "x") == "\"plain\"")
        #expect(try ApacheConfigValue.quoted("a b", what: "x") == "\"a b\"")
        #expect(try ApacheConfigValue.quoted(#"say "hi" \ now\"#, what: "x") == #""say \"hi\" \\ now\\""#)
        #expect(try ApacheConfigValue.shellQuoted("it's", what: "x") == #"'it'\''s'"#)
    }

    @Test(arguments: ["/", "/app", "/a/b-c_d.e~f", "/%7Euser", "/x;y=1", "/@home"])
    func urlPathsAreAccepted(path: String) {
        #expect(OptionGrammar.isURLPath(path))
    }

    @Test(arguments: ["", "app", "/a b", "/a\"b", "/a\\b", "/a?b", "/a#b", "/a>b", "/a\nb", "/é", "/${X}"])
    func whatIsNoURLPathIsRefused(path: String) {
        #expect(!OptionGrammar.isURLPath(path))
    }

    @Test func logLevelsAreApachesOwn() {
        for level in OptionGrammar.logLevels + ["trace1", "trace8"] { #expect(OptionGrammar.isLogLevel(level)) }
        for level in ["", "trace", "trace9", "trace1 ", "INFO", "info\nLoadModule", "debug mod:trace8"] {
            #expect(!OptionGrammar.isLogLevel(level))
        }
    }

    @Test func hostsAreAddressesOrHostNames() {
        for host in ["127.0.0.1", "0.0.0.0", "::1", "fe80::1", "localhost", "example.org", "a-b.c9"] {
            #expect(OptionGrammar.isHost(host), "\(host)")
        }
        for host in ["", "[::1]", "a b", "-a.org", "a-.org", "a..b", "a_b", "host\nListen 1", "a/b", "1.2.3.4:80"] {
            #expect(!OptionGrammar.isHost(host), "\(host)")
        }
    }

    @Test func namesHaveConservativeCharacters() {
        #expect(OptionGrammar.isSymbol("swiftgate_application"))
        #expect(OptionGrammar.isSymbol("_x9"))
        for name in ["", "9x", "a-b", "a b", "a\nb"] { #expect(!OptionGrammar.isSymbol(name)) }
        for name in ["www-data", "nobody", "user.name", "machine$", "_apt"] {
            #expect(OptionGrammar.isAccountName(name))
        }
        for name in ["", "-x", "a b", "a$b", "a\"b", "a\nb", "$"] { #expect(!OptionGrammar.isAccountName(name)) }
        for name in ["staff", "site.admins", "a_b-c", "team@example", "c++"] {
            #expect(OptionGrammar.isAuthGroup(name))
        }
        for name in ["", "a b", "a,b", "a\"b", "a\nb", "${X}"] { #expect(!OptionGrammar.isAuthGroup(name)) }
    }

    /// Each option with a value the configuration would take as a line of
    /// its own: refused while the command line is parsed, before anything
    /// is looked up or written, with the option's name in the message.
    @Test(arguments: [
        ["--mount-point", "/x\nLoadModule evil_module /tmp/evil.so"],
        ["--callable-object", "app\nLoadModule evil_module /tmp/evil.so"],
        ["--auth-group", "staff\nLoadModule evil_module /tmp/evil.so"],
        ["--log-level", "info\nLoadModule evil_module /tmp/evil.so"],
        ["--host", "127.0.0.1\nLoadModule evil_module /tmp/evil.so"],
        ["--setenv", "KEY", "v\nLoadModule evil_module /tmp/evil.so"],
        ["--url-alias", "/static", "/srv\nLoadModule evil_module /tmp/evil.so"],
        ["--settings", "/srv/settings.json\nInclude /tmp/evil.conf"],
        ["--include-file", "/srv/a.conf\nInclude /tmp/evil.conf"],
        ["--server-root", "/srv/root\"\nInclude /tmp/evil.conf"],
        ["--user", "www-data\nUser root"],
        ["--group", "www-data\nGroup root"],
        ["--ssl-certificate-file", "/c.pem\nInclude /tmp/evil.conf"],
        ["--module-path", "/m.so\nInclude /tmp/evil.conf"],
        ["--daemon-library-path", "/d.so\nInclude /tmp/evil.conf"],
        ["--mount-point", "/a b"],
        ["--log-level", "trace9"],
        ["--host", "[::1]"],
        ["--callable-object", "not-a-symbol"],
        ["--auth-group", "a b"],
    ])
    func badOptionValuesAreRefusedWhileParsing(arguments: [String]) {
        do {
            _ = try ExpressOptions.parse(["/srv/libApp.so"] + arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = ExpressOptions.message(for: error)
            #expect(message.contains(arguments[0]), "\(message)")
        }
    }

    @Test func goodOptionValuesAreAccepted() throws {
        let options = try ExpressOptions.parse([
            "/srv/my app/libApp.so", "--mount-point", "/shop", "--host", "::1", "--log-level", "trace3",
            "--callable-object", "shop_application", "--auth-group", "staff", "--setenv", "GREETING",
            #"say "hi" \ now"#, "--settings", "/srv/my app/settings.json",
        ])
        #expect(options.mountPoint == "/shop")
    }
}
