import Foundation
import Testing
import TrucTestSupport

/// The README's first exchange, run as written (only the hub's port and the binary's path put in): a hub that
/// made its own PKI, a document signed by xmlsec1 with the key it made for G22, sent with `curl -f`, listed,
/// fetched byte for byte and acknowledged by H41. If the README drifts from the product, this fails.
@Suite("The README's quick start", .timeLimit(.minutes(30)))
struct QuickStartTests {
    static let xmlsec1 = FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1")
    static let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    /// The shell block that follows "A first exchange with the running hub".
    static func firstExchange() throws -> String {
        let readme = try String(contentsOf: Self.repo.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "A first exchange with the running hub"))
        let open = try #require(readme.range(of: "```sh\n", range: start.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n```", range: open.upperBound..<readme.endIndex))
        return String(readme[open.upperBound..<close.lowerBound])
    }

    @Test("the first exchange works verbatim against a hub that made its own PKI", .enabled(if: xmlsec1))
    func firstExchangeWorks() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("truc-quickstart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The README runs from the repository's root: its fixtures and docs are where it says.
        for name in ["Tests", "docs"] {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: Self.repo.appendingPathComponent(name))
        }
        let server = try await HubEndToEndTests.Server(demoPKI: false, data: folder.appendingPathComponent("data").path)
        defer { server.discard() }
        // The hub makes its PKI first: clients can trust it once its CA certificate is written.
        let ca = folder.appendingPathComponent("data/pki/trust/root-ca.pem").path
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: ca) { try await Task.sleep(for: .milliseconds(100)) }
        try await server.waitUntilReady(ca: ca)

        var block = try Self.firstExchange()
        #expect(block.contains("truc=.build/release/truc") && block.contains("127.0.0.1:8443") && block.contains("$ID"))
        block = block.replacingOccurrences(of: "truc=.build/release/truc", with: "truc=\(TrucRun.binary.path)")
            .replacingOccurrences(of: "127.0.0.1:8443", with: "127.0.0.1:\(server.port)")
        let script = "set -euo pipefail\ncd \(folder.path)\n" + block + "\ncmp doc.edxml signed.edxml && echo SAME-BYTES\n"
        let run = try await Program.run(URL(fileURLWithPath: "/bin/bash"), ["-c", script], timeLimit: 120)
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains(#""bucket":"organisation""#), "the document is signed by the organisation: \(run.stdout)")
        #expect(run.stdout.contains("SAME-BYTES"), "H41 fetched the exact bytes G22 sent")
        #expect(run.stdout.contains(#""state":"delivered""#), "the acknowledgement is recorded: \(run.stdout)")
    }
}
