import Foundation
import Testing
import TrucTestSupport
@testable import TrucCLI

/// The catalogue of `truc serve`'s keys (`ServeKeys`) is the one place a key is written: `docs/configuration.md`
/// prints its table (`TRUC_WRITE_DOCS=1 swift test --filter ConfigurationDocTests` writes it in), `--print-config`
/// lists its keys, `--help` its flags, and the flags are read against it.
@Suite("Configuration: the catalogue of keys, the docs and truc serve agree", .timeLimit(.minutes(30)))
struct ConfigurationDocTests {
    static let docs = FailClosedTests.repo.appendingPathComponent("docs/configuration.md")

    @Test("docs/configuration.md prints the catalogue's table exactly")
    func docsTable() throws {
        let table = try GeneratedDocs.table(in: Self.docs, marker: "keys", expected: ServeKeys.markdownTable)
        #expect(table == ServeKeys.markdownTable, "docs/configuration.md's table differs from the catalogue: run TRUC_WRITE_DOCS=1 swift test --filter ConfigurationDocTests")
    }

    @Test("truc serve --print-config lists the catalogue's keys in order, --help every flag; the other flags of the docs exist")
    func processAgrees() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-config-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let printed = try await TrucRun.run(["serve", "--print-config", "--data", data])
        #expect(printed.exitCode == 0, "\(printed.stderr)")
        let keys = printed.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: "\t").first.map(String.init) }
        #expect(keys == ServeKeys.all.map(\.name))
        let help = try await TrucRun.run(["serve", "--help"]).stdout
        for key in ServeKeys.all { #expect(help.contains("--\(key.flag)"), "truc serve --help lacks --\(key.flag)") }
        let text = try String(contentsOf: Self.docs, encoding: .utf8)
        let others = text.components(separatedBy: "Flags that are not configuration keys:").dropFirst().first ?? ""
        for match in others.matches(of: /`--([a-z0-9-]+)/) {
            #expect(help.contains("--\(match.output.1)"), "docs/configuration.md names --\(match.output.1), which truc serve does not take")
        }
    }

    @Test("flags are read against the catalogue: VALUE or =VALUE, on/off alone, lists repeated")
    func flags() throws {
        let flags = try ServeFlags.parse(["--port", "9443", "--host=0.0.0.0", "--require-revocation", "--fetch-ca-issuers=false",
                                          "--route", "G=000.00.00.W01@https://a", "--route", "H=000.00.00.W41@https://b"])
        #expect(flags.values == ["port": "9443", "host": "0.0.0.0", "require-revocation": "true", "fetch-ca-issuers": "false"])
        #expect(flags.lists == ["routes": ["G=000.00.00.W01@https://a", "H=000.00.00.W41@https://b"]])
        #expect(try ServeFlags.parse([]) == ServeFlags())
    }

    @Test("an unknown flag (with the nearest key), a missing value, a key given twice, a stray word: usage errors")
    func refusals() async throws {
        for (arguments, message) in [(["--prot", "1"], "unknown option --prot (did you mean --port?)"), (["--port"], "--port needs a value (PORT)"),
                                     (["--port", "1", "--port=2"], "--port is given twice"), (["8443"], "unexpected argument \"8443\""),
                                     (["--routes", "x"], "unknown option --routes (did you mean --route?)")] {
            #expect {
                _ = try ServeFlags.parse(arguments)
            } throws: { error in
                guard let failure = error as? CommandFailure else { return false }
                return failure.code == "usage" && failure.exitCode == 2 && failure.message.hasPrefix(message)
            }
        }
        let run = try await TrucRun.run(["serve", "--max-body-byte", "5"])
        #expect(run.exitCode == 2 && run.stderr.contains("unknown option --max-body-byte (did you mean --max-body-bytes?)"), "\(run.stderr)")
    }

    @Test("every key with a default has one its kind can read; on/off keys default to false")
    func defaults() {
        for key in ServeKeys.all {
            guard let value = key.defaultValue else { continue }
            switch key.kind {
            case .int: #expect(Int(value) != nil, "\(key.name): \(value)")
            case .double: #expect(Double(value) != nil, "\(key.name): \(value)")
            case .bool: #expect(value == "false", "\(key.name): \(value)")
            case .text, .list: break
            }
        }
        #expect(Set(ServeKeys.all.map(\.name)).count == ServeKeys.all.count)
    }

    @Test("every number key has a range; a value past it, or not finite, from a flag, the environment or the file: exit 2 before anything is made, never a crash")
    func ranges() async throws {
        let numbers = ServeKeys.all.filter { $0.kind == .int || $0.kind == .double }
        #expect(numbers.count > 15 && numbers.allSatisfy { $0.range != nil }, "\(numbers.filter { $0.range == nil }.map(\.name))")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-ranges-\(UUID().uuidString)").path
        for key in numbers {
            let hostile = key.kind == .int ? [String(Int64.max), String(Int64.min)] : ["1e30", "-1e30", "nan", "inf"]
            for value in hostile {
                let run = try await TrucRun.run(["serve", "--data", data, "--\(key.flag)", value])
                #expect(run.exitCode == 2 && run.stderr.hasPrefix("truc: config-invalid-value: \(key.name) ") && run.stderr.contains("out of range"),
                        "--\(key.flag) \(value): \(run.exitCode) \(run.stderr.prefix(300))")
            }
        }
        let file = try CLIFixtures.temporary(#"{"idle-timeout": 1e30}"#, name: "truc.json")
        let fromFile = try await TrucRun.run(["serve", "--data", data, "--config", file])
        #expect(fromFile.exitCode == 2 && fromFile.stderr.contains("idle-timeout 1e+30 from the config file"), "\(fromFile.stderr)")
        let fromEnvironment = try await TrucRun.run(executable: TrucRun.binary, ["serve", "--data", data], environment: ["TRUC_PORT": "99999"])
        #expect(fromEnvironment.exitCode == 2 && fromEnvironment.stderr.contains("port 99999 from the environment TRUC_PORT is out of range"),
                "\(fromEnvironment.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing made")
    }
}
