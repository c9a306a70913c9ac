import Foundation
import Testing
import TrucTestSupport

/// The README's configuration table names every key `truc serve` reads (as `truc serve --print-config` lists them)
/// and no flag that `truc serve` does not have: a key added without its row, or a row left after its key went,
/// fails here.
@Suite("README: the configuration table and truc serve agree")
struct ConfigurationDocTests {
    /// Keys whose flag is spelled otherwise (`--print-config` names the key, the table the flag).
    static let flagOf = ["key": "tls-key", "routes": "route"]

    @Test("every key of truc serve --print-config has its row in the README's configuration table, and every row's flag is one truc serve takes")
    func tableCoversEveryKey() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-config-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let printed = try TrucRun.run(["serve", "--print-config", "--data", data])
        #expect(printed.exitCode == 0, "\(printed.stderr)")
        let keys = Set(printed.stdout.split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) })
        #expect(keys.count > 40)
        let readme = try String(contentsOf: FailClosedTests.repo.appendingPathComponent("README.md"), encoding: .utf8)
        // The table is the one whose header is "| flag | environment | default |".
        let table = readme.components(separatedBy: "| flag | environment | default |").dropFirst().first?.components(separatedBy: "\n\n").first ?? ""
        var flags = Set<String>()
        for row in table.split(separator: "\n") where row.hasPrefix("| `--") {
            let cell = row.split(separator: "|").first.map(String.init) ?? ""
            for match in cell.matches(of: /--([a-z0-9-]+)/) { flags.insert(String(match.output.1)) }
        }
        for key in keys.sorted() {
            #expect(flags.contains(Self.flagOf[key] ?? key), "--\(Self.flagOf[key] ?? key) (print-config key \(key)) has no row in the README's configuration table")
        }
        let help = try TrucRun.run(["serve", "--help"]).stdout
        for flag in flags.sorted() {
            #expect(help.contains("--\(flag)"), "the README's configuration table names --\(flag), which truc serve does not take")
        }
    }
}
