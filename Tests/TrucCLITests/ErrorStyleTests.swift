import Foundation
import Testing
import TrucTestSupport

/// One error style for the mistakes people make: `truc: CODE: message` on stderr, the JSON error on stdout
/// with `--json`, the exit code of the table in the README (2 usage or unreadable input, 3 environment), and
/// nothing created.
@Suite("Errors a person can act on", .timeLimit(.minutes(30)))
struct ErrorStyleTests {
    @Test("truc serve on a port in use: exit 3, the port named, nothing created")
    func portInUse() async throws {
        let first = try await HubEndToEndTests.Server()
        defer { first.discard() }
        try await first.waitUntilReady()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-busy-\(UUID().uuidString)").path
        let run = try await TrucRun.run(["serve", "--data", data, "--port", String(first.port)])
        #expect(run.exitCode == 3, "\(run.stderr)")
        #expect(run.stderr.contains("truc: port-in-use: 127.0.0.1:\(first.port) is already in use"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing was created")
    }

    @Test("truc serve with a data directory that is a file: exit 3 and what to do")
    func dataIsAFile() async throws {
        let file = try CLIFixtures.temporary("not a directory", name: "data")
        let run = try await TrucRun.run(["serve", "--data", file, "--port", String(freeTCPPort()), "--json"])
        #expect(run.exitCode == 3 && run.stderr.contains("truc: data-unusable: \(file) is a file, not a directory"), "\(run.stderr)")
        #expect((run.json?["error"] as? [String: Any])?["code"] as? String == "data-unusable")
        // Every command that opens a store says the same, instead of a system error.
        for command in [["agencies", "list"], ["agencies", "add", "000.00.00.G22", "--name", "x"], ["queue", "list"], ["systems", "list"]] {
            let other = try await TrucRun.run(command + ["--data", file])
            #expect(other.exitCode == 3 && other.stderr.hasPrefix("truc: data-unusable: \(file) is a file"), "\(command): \(other.stderr)")
        }
    }

    @Test("a client against a hub that is not there: exit 3, what to check; a missing file: exit 2")
    func clientMistakes() async throws {
        let port = freeTCPPort()
        let unreachable = try await TrucRun.run(["inbox", "--hub", "https://127.0.0.1:\(port)", "--token", "x"])
        #expect(unreachable.exitCode == 3 && unreachable.stderr.contains("nothing listens at https://127.0.0.1:\(port)"), "\(unreachable.stderr)")
        let missing = try await TrucRun.run(["send", "/nonexistent/doc.edxml", "--token", "x", "--json"])
        #expect(missing.exitCode == 2 && missing.stderr.contains("truc: file-unreadable: cannot open /nonexistent/doc.edxml"), "\(missing.stderr)")
        #expect((missing.json?["error"] as? [String: Any])?["code"] as? String == "file-unreadable")
    }
}

extension ErrorStyleTests {
    @Test("usage mistakes: exit 2, one line naming the command's help; JSON with --json; help still prints")
    func usage() async throws {
        for arguments in [["stats", "--group-by", "week"], ["frobnicate"], ["serve", "--port", "eighty"], ["inspect"]] {
            let run = try await TrucRun.run(arguments)
            #expect(run.exitCode == 2 && run.stdout.isEmpty, "\(arguments): \(run.exitCode) \(run.stdout)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("truc: usage: ") && lines[0].contains("--help'"), "\(arguments): \(run.stderr)")
            let json = try await TrucRun.run(arguments + ["--json"])
            #expect(json.exitCode == 2 && (json.json?["error"] as? [String: Any])?["code"] as? String == "usage", "\(arguments): \(json.stdout)")
        }
        let missingDates = try await TrucRun.run(["stats", "--group-by", "week"])
        #expect(missingDates.stderr.contains("'--from <from>'") && missingDates.stderr.contains("see 'truc stats --help'"))
        // A setting checked while the command runs: the command's own help is named, and nothing was made.
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-route-\(UUID().uuidString)").path
        let route = try await TrucRun.run(["serve", "--data", data, "--port", String(freeTCPPort()), "--route", "H41-somewhere"])
        #expect(route.exitCode == 2 && route.stderr.hasPrefix("truc: usage: --route H41-somewhere is not PATTERN=HUBCODE@URL; see 'truc serve --help'"),
                "\(route.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data), "no PKI, no store")
        let help = try await TrucRun.run(["serve", "--help"])
        #expect(help.exitCode == 0 && help.stdout.contains("USAGE: truc serve"))
    }

    @Test("a misspelt key in the config file is refused with its name and a suggestion; --print-config shows each value's source, never a secret")
    func configuration() async throws {
        let bad = try CLIFixtures.temporary(#"{"hots": "0.0.0.0", "port": 9443}"#, name: "truc.json")
        let refused = try await TrucRun.run(["serve", "--config", bad])
        #expect(refused.exitCode == 2 && refused.stderr.contains(#"unknown key "hots" (did you mean "host"?)"#), "\(refused.stderr)")
        let good = try CLIFixtures.temporary(#"{"host": "0.0.0.0", "port": 9443}"#, name: "truc.json")
        let printed = try await TrucRun.run(executable: TrucRun.binary, ["serve", "--config", good, "--print-config", "--hub-code", "000.00.00.W41"],
                                      environment: ["TRUC_OPERATOR_TOKEN": "a-secret-operator-token", "TRUC_DATA_DIR": "/srv/truc"])
        #expect(printed.exitCode == 0, "\(printed.stderr)")
        let lines = Set(printed.stdout.split(separator: "\n").map(String.init))
        #expect(lines.contains("host\t0.0.0.0\tconfig file \(good)"))
        #expect(lines.contains("hub-code\t000.00.00.W41\tflag --hub-code"))
        #expect(lines.contains("data\t/srv/truc\tenvironment TRUC_DATA_DIR"))
        #expect(lines.contains("idle-timeout\t30\tdefault"))
        #expect(lines.contains("operator-token\t(set, not shown)\tenvironment TRUC_OPERATOR_TOKEN"))
        #expect(!printed.stdout.contains("a-secret-operator-token"))

        // YAML too; the environment over the file, a flag over both; routes as a list.
        let yaml = try CLIFixtures.temporary("host: 0.0.0.0\nport: 9555\nrevocation-budget: 2.5\nrequire-revocation: true\nroutes:\n  - \"000.00.*.H14=000.00.00.W14@https://peer.example:8443\"\n",
                                            name: "truc.yaml")
        let fromYAML = try await TrucRun.run(executable: TrucRun.binary, ["serve", "--config", yaml, "--print-config", "--host", "127.0.0.2"],
                                       environment: ["TRUC_PORT": "7000"])
        let yamlLines = Set(fromYAML.stdout.split(separator: "\n").map(String.init))
        #expect(fromYAML.exitCode == 0, "\(fromYAML.stderr)")
        #expect(yamlLines.contains("host\t127.0.0.2\tflag --host") && yamlLines.contains("port\t7000\tenvironment TRUC_PORT"), "\(fromYAML.stdout)")
        #expect(yamlLines.contains("revocation-budget\t2.5\tconfig file \(yaml)") && yamlLines.contains("require-revocation\ttrue\tconfig file \(yaml)"))
        #expect(yamlLines.contains("routes\t000.00.*.H14=000.00.00.W14@https://peer.example:8443\tconfig file \(yaml)"), "\(fromYAML.stdout)")
        #expect(try await TrucRun.run(["serve", "--config", try CLIFixtures.temporary("hots: x\n", name: "truc.yml")]).stderr.contains(#"unknown key "hots""#))

        // A value of the wrong type is refused with its key and its source, before anything is created.
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-typed-\(UUID().uuidString)").path
        let wrong = try await TrucRun.run(["serve", "--data", data, "--config", try CLIFixtures.temporary(#"{"port": "eighty"}"#, name: "truc.json")])
        #expect(wrong.exitCode == 2 && wrong.stderr.hasPrefix("truc: config-invalid-value: port from the config file"), "\(wrong.stderr)")
        let wrongEnv = try await TrucRun.run(executable: TrucRun.binary, ["serve", "--data", data, "--print-config"], environment: ["TRUC_MAX_BODY_BYTES": "lots"])
        #expect(wrongEnv.exitCode == 2 && wrongEnv.stderr.contains("max-body-bytes from the environment TRUC_MAX_BODY_BYTES has the wrong type"), "\(wrongEnv.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing was created")
        // A list written as a text is refused, not ignored.
        let routesText = try await TrucRun.run(["serve", "--data", data, "--config",
                                          try CLIFixtures.temporary("routes: \"H41=000.00.00.W41@https://peer.example:8443\"\n", name: "truc.yaml")])
        #expect(routesText.exitCode == 2 && routesText.stderr.hasPrefix("truc: config-invalid-value: routes from the config file")
                && routesText.stderr.contains("routes is a list"), "\(routesText.stderr)")
        // --print-config shows the values this hub would use, not placeholders.
        let resolved = try await TrucRun.run(["serve", "--data", data, "--print-config"])
        let resolvedLines = resolved.stdout.split(separator: "\n").map(String.init)
        #expect(resolvedLines.contains("tls-cert\t\(data)/pki/hub/server.chain.pem (made on first start)\tdefault"), "\(resolved.stdout)")
        #expect(resolvedLines.contains("node\t\(ProcessInfo.processInfo.hostName)\tdefault") && !resolved.stdout.contains("DATA/"), "\(resolved.stdout)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing was created")
    }
}
