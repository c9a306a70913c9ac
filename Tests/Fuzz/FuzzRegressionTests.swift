import Foundation
import Testing
import TrucFuzzing
import TrucTestSupport

/// Every seed of every fuzz target and every crasher the fuzzers ever found, replayed through the targets
/// (a crash here is a regression); and a short libFuzzer run of each target (scripts/fuzz.sh).
@Suite("Fuzz targets", .timeLimit(.minutes(30)))
struct FuzzRegressionTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The seed folders of a target: fixtures (real samples, signed documents, crafted containers) and the
    /// hand-made seeds of Tests/Fuzz/corpus.
    static func seeds(_ target: FuzzTarget) -> [URL] {
        let fixtures = repo.appendingPathComponent("Tests/Fixtures")
        var folders: [(URL, String?)] = [(repo.appendingPathComponent("Tests/Fuzz/corpus/\(target.rawValue)"), nil),
                                         (repo.appendingPathComponent("Tests/Fuzz/crashers/\(target.rawValue)"), nil)]
        switch target {
        case .edxml:
            folders += [(fixtures.appendingPathComponent("vpcp"), "edxml"), (fixtures.appendingPathComponent("signatures"), "edxml"),
                        (fixtures.appendingPathComponent("attachments/hostile"), "edxml")]
        case .zip:
            folders += [(fixtures.appendingPathComponent("attachments"), "zip"), (fixtures.appendingPathComponent("attachments/hostile"), "zip")]
        case .pdf, .cms, .base64:
            folders += [(fixtures.appendingPathComponent("signatures"), "pdf"), (fixtures.appendingPathComponent("attachments"), "pdf")]
        case .vxp, .receipt, .date:
            break
        }
        return folders.flatMap { folder, ext in
            ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? [])
                .filter { ext == nil ? !$0.lastPathComponent.hasPrefix(".") : $0.pathExtension == ext }
        }.sorted { $0.path < $1.path }
    }

    @Test("seeds and committed crashers run through each target without a crash", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let files = Self.seeds(target)
        #expect(!files.isEmpty, "no seeds for \(target)")
        for file in files {
            var bytes = [UInt8](try Data(contentsOf: file))
            if target == .cms, let der = Self.firstContents(bytes) { bytes = der }
            if target == .base64 { bytes = Array(Data(bytes).base64EncodedString(options: .lineLength76Characters).utf8) }
            target.run(bytes)
        }
    }

    /// The DER in the first `/Contents <hex>` of a PDF (the CMS seed of a signed PDF).
    static func firstContents(_ pdf: [UInt8]) -> [UInt8]? {
        let text = String(decoding: pdf, as: UTF8.self)
        guard let start = text.range(of: "/Contents <")?.upperBound, let end = text[start...].firstIndex(of: ">") else { return nil }
        let hex = Array(text[start..<end].utf8)
        var der: [UInt8] = []
        var i = 0
        while i + 1 < hex.count, let byte = UInt8(String(decoding: hex[i...(i + 1)], as: UTF8.self), radix: 16) {
            der.append(byte)
            i += 2
        }
        return der
    }

    @Test("a short libFuzzer run of every target stays clean (scripts/fuzz.sh --runs 3000)",
          .enabled(if: ProcessInfo.processInfo.environment["TRUC_SKIP_FUZZ"] == nil))
    func shortRun() async throws {
        let run = try await HeavyLoad.exclusive {
            // At a low priority: the fuzz build takes both cores for a while, and the suite's timing-sensitive
            // tests (retries against a hub that is down, for instance) run meanwhile.
            try await Program.run(URL(fileURLWithPath: "/usr/bin/nice"), ["-n", "15", "/bin/bash", Self.repo.appendingPathComponent("scripts/fuzz.sh").path,
                                                                    "--runs", "3000"], timeLimit: 1500)
        }
        #expect(run.exitCode == 0, "\(run.stdout.suffix(4000))\(run.stderr.suffix(4000))")
        #expect(run.stdout.contains("fuzz: every target clean"), "\(run.stdout.suffix(2000))")
    }
}
