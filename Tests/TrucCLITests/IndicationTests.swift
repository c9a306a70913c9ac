import Foundation
import Testing
import TrucSignatures

/// EN 319 102-1 indications in every verdict (issue 27), read through `truc verify --json` and cross-checked with
/// pyHanko's AdES validation of the same PDF (`Tests/Fixtures/signatures/pyhanko_ades.py`, its §5.3/§5.5 processes).
@Suite("ETSI indications: Truc's verdicts in EN 319 102-1 terms, as pyHanko reads the same documents")
struct IndicationTests {
    static let pyhanko = (try? TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import pyhanko"]))?.exitCode == 0

    /// The first attachment signature's `etsi` object from `truc verify --json`.
    static func truc(_ edxml: String, trust: String, extra: [String] = []) throws -> [String: Any] {
        let run = try TrucRun.run(["verify", edxml, "--trust", trust, "--json"] + extra)
        let signature = try #require((run.json?["signatures"] as? [[String: Any]])?.first { ($0["location"] as? String)?.hasPrefix("attachment:") == true },
                                     "\(run.stdout)\(run.stderr)")
        #expect(run.json?["validationTime"] is String)
        return try #require(signature["etsi"] as? [String: Any], "\(signature)")
    }

    static func pyhanko(_ pdf: String, trust: String, index: Int = 0) throws -> (String, String?) {
        let run = try TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                  ["python3", CLIFixtures.path("signatures/pyhanko_ades.py"), pdf, trust, String(index)])
        let json = try #require(run.stdout.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                "\(run.stdout)\(run.stderr)")
        return (json["indication"] as? String ?? "?", json["subIndication"] as? String)
    }

    @Test("valid, tampered, untrusted, revoked, expired without proof, revoked after a time-stamp: Truc's indication and sub-indication are pyHanko's",
          .enabled(if: pyhanko))
    func agreesWithPyHanko() throws {
        let demo = FailClosedTests.demo + "/trust", archive = CLIFixtures.path("signatures/pki/archive")
        let cases: [(edxml: String, pdf: String, trust: String, indication: String, sub: String?)] = [
            (CLIFixtures.path("signatures/pdf-organisation.edxml"), CLIFixtures.path("signatures/pdf-organisation.pdf"), demo, "TOTAL-PASSED", nil),
            (CLIFixtures.path("signatures/pdf-tampered.edxml"), CLIFixtures.path("signatures/pdf-tampered.pdf"), demo, "TOTAL-FAILED", "HASH_FAILURE"),
            (CLIFixtures.path("signatures/pdf-untrusted.edxml"), CLIFixtures.path("signatures/pdf-untrusted.pdf"), demo, "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"),
            (CLIFixtures.path("signatures/pdf-revoked.edxml"), CLIFixtures.path("signatures/pdf-revoked.pdf"), demo, "INDETERMINATE", "REVOKED_NO_POE"),
            (archive + "/pdf-expired.edxml", archive + "/pdf-expired.pdf", archive + "/trust", "INDETERMINATE", "OUT_OF_BOUNDS_NO_POE"),
            (archive + "/pdf-ts-revoked-later.edxml", archive + "/pdf-ts-revoked-later.pdf", archive + "/trust", "TOTAL-PASSED", nil),
        ]
        let main = ["PASSED": "TOTAL-PASSED", "FAILED": "TOTAL-FAILED", "INDETERMINATE": "INDETERMINATE"]
        for c in cases {
            let ours = try Self.truc(c.edxml, trust: c.trust, extra: ["--revocation", "offline"])
            #expect(ours["indication"] as? String == c.indication && ours["subIndication"] as? String == c.sub, "\(c.edxml): \(ours)")
            let (theirs, theirSub) = try Self.pyhanko(c.pdf, trust: c.trust)
            #expect(main[theirs] == c.indication && (c.sub == nil ? theirSub == "OK" : theirSub == c.sub),
                    "pyHanko on \(c.pdf): \(theirs) \(theirSub ?? "")")
        }
    }

    @Test("the best signature time is the time-stamp's when one proves the signature, else the validation time; the level follows what the document carries")
    func bestSignatureTimeAndLevel() throws {
        let archive = CLIFixtures.path("signatures/pki/archive")
        let stamped = try Self.truc(archive + "/pdf-ts-revoked-later.edxml", trust: archive + "/trust")
        #expect((stamped["bestSignatureTime"] as? [String: String]) == ["time": "2017-06-01T00:00:00Z", "proof": "signature-time-stamp"], "\(stamped)")
        #expect((stamped["level"] as? String)?.hasSuffix("-T") == true, "\(stamped)")
        let plain = try Self.truc(CLIFixtures.path("signatures/pdf-organisation.edxml"), trust: FailClosedTests.demo + "/trust")
        #expect((plain["bestSignatureTime"] as? [String: String])?["proof"] == "validation" && (plain["level"] as? String)?.hasSuffix("-B") == true, "\(plain)")
        // The envelope: XMLDSig without XAdES properties has no AdES level.
        let run = try TrucRun.run(["verify", CLIFixtures.path("signatures/env-valid-exclusive.edxml"), "--trust", FailClosedTests.demo + "/trust", "--json"])
        let envelope = try #require((run.json?["signatures"] as? [[String: Any]])?.first?["etsi"] as? [String: Any])
        #expect(envelope["indication"] as? String == "TOTAL-PASSED" && envelope["level"] as? String == "XMLDSig", "\(envelope)")
        let xades = try TrucRun.run(["verify", CLIFixtures.path("signatures/env-xades-signxml.edxml"), "--trust", FailClosedTests.demo + "/trust", "--json"])
        #expect(((xades.json?["signatures"] as? [[String: Any]])?.first?["etsi"] as? [String: Any])?["level"] as? String == "XAdES-BASELINE-B",
                "\(xades.stdout.prefix(2000))")
    }

    @Test("the README prints the mapping table exactly as the verifier applies it")
    func readmeTable() throws {
        let readme = try String(contentsOf: FailClosedTests.repo.appendingPathComponent("README.md"), encoding: .utf8)
        for row in ETSIIndications.table {
            let line = "| `\(row.reason)` | \(row.when.isEmpty ? "—" : row.when) | \(row.indication) | \(row.subIndication) |"
            #expect(readme.contains(line), "README lacks: \(line)")
        }
    }
}
