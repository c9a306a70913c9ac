import Foundation
import Testing
import TrucCrypto
import TrucSignatures
import TrucTestSupport

/// EN 319 102-1 indications in every verdict, read through `truc verify --json` and cross-checked with
/// pyHanko's AdES validation of the same PDF (`Tests/Fixtures/signatures/pyhanko_ades.py`, its §5.3/§5.5 processes).
@Suite("ETSI indications: Truc's verdicts in EN 319 102-1 terms, as pyHanko reads the same documents", .timeLimit(.minutes(30)))
struct IndicationTests {
    static var pyhankoInstalled: Bool { get async { (try? await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import pyhanko"]))?.exitCode == 0 } }

    /// The first attachment signature's `etsi` object from `truc verify --json`.
    static func truc(_ edxml: String, trust: String, extra: [String] = []) async throws -> [String: Any] {
        let run = try await TrucRun.run(["verify", edxml, "--trust", trust, "--json"] + extra)
        let signature = try #require((run.json?["signatures"] as? [[String: Any]])?.first { ($0["location"] as? String)?.hasPrefix("attachment:") == true },
                                     "\(run.stdout)\(run.stderr)")
        #expect(run.json?["validationTime"] is String)
        return try #require(signature["etsi"] as? [String: Any], "\(signature)")
    }

    static func pyhanko(_ pdf: String, trust: String, index: Int = 0) async throws -> (String, String?) {
        let run = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                  ["python3", CLIFixtures.path("signatures/pyhanko_ades.py"), pdf, trust, String(index)])
        let json = try #require(run.stdout.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                "\(run.stdout)\(run.stderr)")
        return (json["indication"] as? String ?? "?", json["subIndication"] as? String)
    }

    @Test("valid, tampered, untrusted, revoked, expired without proof, revoked after a time-stamp: Truc's indication and sub-indication are pyHanko's",
          .enabled { await pyhankoInstalled })
    func agreesWithPyHanko() async throws {
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
            let ours = try await Self.truc(c.edxml, trust: c.trust, extra: ["--revocation", "offline"])
            #expect(ours["indication"] as? String == c.indication && ours["subIndication"] as? String == c.sub, "\(c.edxml): \(ours)")
            let (theirs, theirSub) = try await Self.pyhanko(c.pdf, trust: c.trust)
            #expect(main[theirs] == c.indication && (c.sub == nil ? theirSub == "OK" : theirSub == c.sub),
                    "pyHanko on \(c.pdf): \(theirs) \(theirSub ?? "")")
        }
    }

    @Test("the best signature time is the time-stamp's when one proves the signature, else the validation time; the level follows what the document carries")
    func bestSignatureTimeAndLevel() async throws {
        let archive = CLIFixtures.path("signatures/pki/archive")
        let stamped = try await Self.truc(archive + "/pdf-ts-revoked-later.edxml", trust: archive + "/trust")
        #expect((stamped["bestSignatureTime"] as? [String: String]) == ["time": "2017-06-01T00:00:00Z", "proof": "signature-time-stamp"], "\(stamped)")
        #expect((stamped["level"] as? String)?.hasSuffix("-T") == true, "\(stamped)")
        let plain = try await Self.truc(CLIFixtures.path("signatures/pdf-organisation.edxml"), trust: FailClosedTests.demo + "/trust")
        #expect((plain["bestSignatureTime"] as? [String: String])?["proof"] == "validation" && (plain["level"] as? String)?.hasSuffix("-B") == true, "\(plain)")
        // The envelope: XMLDSig without XAdES properties has no AdES level.
        let run = try await TrucRun.run(["verify", CLIFixtures.path("signatures/env-valid-exclusive.edxml"), "--trust", FailClosedTests.demo + "/trust", "--json"])
        let envelope = try #require((run.json?["signatures"] as? [[String: Any]])?.first?["etsi"] as? [String: Any])
        #expect(envelope["indication"] as? String == "TOTAL-PASSED" && envelope["level"] as? String == "XMLDSig", "\(envelope)")
        let xades = try await TrucRun.run(["verify", CLIFixtures.path("signatures/env-xades-signxml.edxml"), "--trust", FailClosedTests.demo + "/trust", "--json"])
        #expect(((xades.json?["signatures"] as? [[String: Any]])?.first?["etsi"] as? [String: Any])?["level"] as? String == "XAdES-BASELINE-B",
                "\(xades.stdout.prefix(2000))")
    }

    @Test("docs/signatures.md prints the mapping table exactly as the verifier applies it")
    func readmeTable() throws {
        let readme = try String(contentsOf: FailClosedTests.repo.appendingPathComponent("docs/signatures.md"), encoding: .utf8)
        for row in ETSIIndications.table {
            let line = "| `\(row.reason)` | \(row.when.isEmpty ? "—" : row.when) | \(row.indication) | \(row.subIndication) |"
            #expect(readme.contains(line), "docs/signatures.md lacks: \(line)")
        }
    }

    static let schema = FailClosedTests.repo.appendingPathComponent("Schemas/etsi/TS119102-2-v141.xsd").path

    /// Validates an XML report against the shipped TS 119 102-2 schema, offline.
    static func schemaValid(_ path: String) async throws -> Bool {
        let run = try await FailClosedTests.run("xmllint", ["--noout", "--nonet", "--schema", schema, path])
        #expect(run.exitCode == 0, "\(path): \(run.stderr)")
        return run.exitCode == 0
    }

    /// The MainIndication and SubIndication texts of each SignatureValidationReport, in order.
    static func indications(_ xml: String) -> [(String, String?)] {
        xml.components(separatedBy: "<SignatureValidationReport>").dropFirst().map { part in
            func text(_ name: String) -> String? {
                guard let start = part.range(of: "<\(name)>"), let end = part.range(of: "</\(name)>", range: start.upperBound..<part.endIndex) else { return nil }
                return String(part[start.upperBound..<end.lowerBound])
            }
            return (text("MainIndication") ?? "", text("SubIndication"))
        }
    }

    @Test("truc verify --report etsi: a TS 119 102-2 report that the official schema validates, with the indications of the verdict; signed, xmlsec1 verifies it and a changed indication breaks it")
    func cliReport() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-etsi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let demo = FailClosedTests.demo
        func trust(_ name: String) async -> String { name.hasPrefix("pki/archive/") ? CLIFixtures.path("signatures/pki/archive/trust") : demo + "/trust" }
        for (name, expected) in [("pdf-organisation", "urn:etsi:019102:mainindication:total-passed"),
                                 ("pdf-tampered", "urn:etsi:019102:mainindication:total-failed"),
                                 ("env-valid-rsa-sha1", "urn:etsi:019102:mainindication:indeterminate"),
                                 ("pdf-unsigned", "urn:etsi:019102:mainindication:indeterminate"),
                                 ("pki/archive/pdf-ts-revoked-later", "urn:etsi:019102:mainindication:total-passed"),
                                 ("pki/archive/pdf-ts-revoked-before", "urn:etsi:019102:mainindication:total-failed")] {
            let run = try await TrucRun.run(["verify", CLIFixtures.path("signatures/\(name).edxml"), "--trust", trust(name), "--revocation", "offline", "--report", "etsi"])
            let path = dir + "/\(name.replacingOccurrences(of: "/", with: "-")).xml"
            try run.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try await Self.schemaValid(path))
            #expect(Self.indications(run.stdout).contains { $0.0 == expected }, "\(name): \(run.stdout.prefix(3000))")
        }
        let sha1 = try await TrucRun.run(["verify", CLIFixtures.path("signatures/env-valid-rsa-sha1.edxml"), "--trust", demo + "/trust", "--report", "etsi", "--revocation", "offline"]).stdout
        #expect(Self.indications(sha1).first?.1 == "urn:etsi:019102:subindication:CRYPTO_CONSTRAINTS_FAILURE_NO_POE" && sha1.contains("<SecureAlgorithm>false</SecureAlgorithm>"))

        // Signed with the hub's key: xmlsec1 verifies it against the demo root; a changed indication does not verify.
        let signed = try await TrucRun.run(["verify", CLIFixtures.path("signatures/pdf-organisation.edxml"), "--trust", demo + "/trust", "--revocation", "offline",
                                      "--report", "etsi", "--sign-key", demo + "/hub/server.key", "--sign-cert", demo + "/hub/server.chain.pem"])
        #expect(signed.exitCode == 0, "\(signed.stderr)")
        try signed.stdout.write(toFile: dir + "/signed.xml", atomically: true, encoding: .utf8)
        #expect(try await Self.schemaValid(dir + "/signed.xml"))
        #expect(try await FailClosedTests.run("xmlsec1", ["--verify", "--trusted-pem", demo + "/trust/root-ca.pem", dir + "/signed.xml"]).exitCode == 0)
        try signed.stdout.replacingOccurrences(of: "mainindication:total-passed", with: "mainindication:total-failed")
            .write(toFile: dir + "/changed.xml", atomically: true, encoding: .utf8)
        #expect(try await FailClosedTests.run("xmlsec1", ["--verify", "--trusted-pem", demo + "/trust/root-ca.pem", dir + "/changed.xml"]).exitCode != 0)
        // Options that do not go together are refused with a code.
        let half = try await TrucRun.run(["verify", CLIFixtures.path("signatures/pdf-organisation.edxml"), "--report", "etsi", "--sign-key", demo + "/hub/server.key"])
        #expect(half.exitCode == 2 && half.stderr.contains("invalid-option"), "\(half.stderr)")
    }

    @Test("through a running hub: the answer carries the indications; GET /v1/messages/{id}/validation-report gives the sender the JSON and the hub-signed ETSI XML (schema-valid, xmlsec1 verifies); strangers get 404")
    func liveHub() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-etsi-live-\(UUID().uuidString)").path
        let trust = dir + "/trust"
        try FileManager.default.createDirectory(atPath: trust, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let archive = CLIFixtures.path("signatures/pki/archive")
        for source in [FailClosedTests.demo + "/trust", archive + "/trust"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: source) {
                try FileManager.default.copyItem(atPath: source + "/" + file, toPath: trust + "/" + file)
            }
        }
        let server = try await HubEndToEndTests.Server(["--trust", trust])
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken()
        let hub = "https://127.0.0.1:\(server.port)", ca = FailClosedTests.demo + "/trust/root-ca.pem"
        func send(_ fixture: String) async throws -> TrucRun {
            // Each its own DocumentId (the PDFs carry the signatures; the envelope is not signed).
            let path = dir + "/\(UUID().uuidString).edxml"
            try String(contentsOfFile: fixture, encoding: .utf8).replacingOccurrences(of: "7816/VPCP-TTĐT", with: "\(UUID().uuidString.prefix(8))/VPCP")
                .write(toFile: path, atomically: true, encoding: .utf8)
            return try await TrucRun.run(["send", path, "--hub", hub, "--ca", ca, "--token", token, "--json"])
        }
        func etsi(_ run: TrucRun) -> [String: Any]? {
            let verdict = (run.json?["signature"] as? [String: Any]) ?? ((run.json?["error"] as? [String: Any])?["signature"] as? [String: Any])
            return (verdict?["signatures"] as? [[String: Any]])?.first { ($0["location"] as? String)?.hasPrefix("attachment:") == true }?["etsi"] as? [String: Any]
        }
        // Refused (422): the answer's verdict says why in EN 319 102-1 terms.
        for (fixture, indication, sub) in [(CLIFixtures.path("signatures/pdf-tampered.edxml"), "TOTAL-FAILED", "HASH_FAILURE"),
                                           (CLIFixtures.path("signatures/pdf-untrusted.edxml"), "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"),
                                           (CLIFixtures.path("signatures/pdf-revoked.edxml"), "INDETERMINATE", "REVOKED_NO_POE"),
                                           (archive + "/pdf-expired.edxml", "INDETERMINATE", "OUT_OF_BOUNDS_NO_POE")] {
            let run = try await send(fixture)
            #expect(run.exitCode == 1 && etsi(run)?["indication"] as? String == indication && etsi(run)?["subIndication"] as? String == sub,
                    "\(fixture): \(run.stdout.prefix(2000))")
        }
        // A refusal keeps its verdict and the data it was made from: the agency shows its IT supplier the signed report.
        let refusals = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer \(token)", hub + "/v1/refusals"])
        let items = (try? JSONSerialization.jsonObject(with: Data(refusals.stdout.utf8)) as? [String: Any])?["items"] as? [[String: Any]] ?? []
        let tampered = try #require(items.first { ($0["reasons"] as? [String])?.contains { $0.contains("digest-mismatch") } == true }?["id"] as? Int,
                                    "\(refusals.stdout.prefix(2000))")
        let refusalURL = hub + "/v1/refusals/\(tampered)/validation-report"
        let refusalXML = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer \(token)", "-H", "Accept: application/xml", refusalURL])
        try refusalXML.stdout.write(toFile: dir + "/refusal.xml", atomically: true, encoding: .utf8)
        #expect(try await Self.schemaValid(dir + "/refusal.xml"))
        #expect(try await FailClosedTests.run("xmlsec1", ["--verify", "--trusted-pem", ca, dir + "/refusal.xml"]).exitCode == 0)
        #expect(Self.indications(refusalXML.stdout).contains { $0 == ("urn:etsi:019102:mainindication:total-failed", "urn:etsi:019102:subindication:HASH_FAILURE") },
                "\(refusalXML.stdout.prefix(2000))")
        let refusalJSON = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer \(token)", refusalURL])
        let kept = (try? JSONSerialization.jsonObject(with: Data(refusalJSON.stdout.utf8)) as? [String: Any])?["objects"] as? [[String: Any]] ?? []
        #expect(kept.contains { $0["kind"] as? String == "certificate" }, "\(refusalJSON.stdout.prefix(1500))")

        // Accepted: the report of the verdict made at receipt.
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H30", "--name", "UBND Tỉnh Lạng Sơn", "--data", server.data]).exitCode == 0)
        let other = try await TrucRun.run(["agencies", "token", "000.00.00.H30", "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (fixture, indication, sub, best) in [(CLIFixtures.path("signatures/pdf-organisation.edxml"), "total-passed", nil as String?, "validation"),
                                                 (archive + "/pdf-ts-revoked-later.edxml", "total-passed", nil, "signature-time-stamp"),
                                                 (CLIFixtures.path("signatures/pdf-legacy-sha1.edxml"), "indeterminate", "CRYPTO_CONSTRAINTS_FAILURE_NO_POE", "validation")] {
            let sent = try await send(fixture)
            let id = try #require(sent.json?["id"] as? String, "\(fixture): \(sent.stdout)\(sent.stderr)")
            let url = hub + "/v1/messages/\(id)/validation-report"
            let json = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer \(token)", url])
            let report = try #require(try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)\(json.stderr)")
            let signature = (report["signatures"] as? [[String: Any]])?.first { ($0["location"] as? String)?.hasPrefix("attachment:") == true }
            let status = signature?["etsi"] as? [String: Any]
            #expect(status?["indication"] as? String == indication.uppercased() && status?["subIndication"] as? String == sub
                    && (status?["bestSignatureTime"] as? [String: Any])?["proof"] as? String == best && report["sha256"] as? String == sent.json?["sha256"] as? String,
                    "\(fixture): \(json.stdout.prefix(2000))")
            // The validation data kept at receipt: every object the verdict names, with bytes of that digest; the trust snapshot.
            let objects = try #require(signature?["objects"] as? [String: Any], "\(json.stdout.prefix(2000))")
            let named = Set((objects["chain"] as? [String] ?? []) + (objects["revocation"] as? [[String: Any]] ?? []).compactMap { $0["sha256"] as? String }
                            + (objects["timestamps"] as? [[String: Any]] ?? []).compactMap { $0["sha256"] as? String })
            #expect(!named.isEmpty && (objects["revocation"] as? [[String: Any]])?.isEmpty == false, "\(objects)")
            let kept = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer \(token)", hub + "/v1/messages/\(id)/validation-data"])
            let data = try #require(try? JSONSerialization.jsonObject(with: Data(kept.stdout.utf8)) as? [String: Any], "\(kept.stdout)\(kept.stderr)")
            var held = Set<String>()
            for object in data["objects"] as? [[String: Any]] ?? [] {
                let der = try #require((object["der"] as? String).flatMap { Data(base64Encoded: $0) })
                #expect(Digest.sha256([UInt8](der)).hexString == object["sha256"] as? String)
                held.insert(object["sha256"] as? String ?? "")
            }
            #expect(named.isSubset(of: held), "kept \(held), named \(named)")
            let snapshot = try #require(data["trustSnapshot"] as? [String: Any], "\(kept.stdout.prefix(500))")
            #expect(snapshot["id"] as? String == report["trustSnapshot"] as? String && (snapshot["contents"] as? String)?.contains("\"anchors\"") == true)
            #expect(try await FailClosedTests.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, "-H", "Authorization: Bearer \(other)",
                                                     hub + "/v1/messages/\(id)/validation-data"]).stdout == "404")
            let xml = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer \(token)", "-H", "Accept: application/xml", url])
            let path = dir + "/\(id).xml"
            try xml.stdout.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try await Self.schemaValid(path))
            #expect(try await FailClosedTests.run("xmlsec1", ["--verify", "--trusted-pem", ca, path]).exitCode == 0, "\(xml.stdout.prefix(1500))")
            #expect(Self.indications(xml.stdout).contains { $0.0 == "urn:etsi:019102:mainindication:\(indication)" && $0.1 == sub.map { "urn:etsi:019102:subindication:\($0)" } },
                    "\(xml.stdout.prefix(3000))")
            // Not the sender, not a recipient: not revealed.
            let stranger = try await FailClosedTests.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, "-H", "Authorization: Bearer \(other)", url])
            #expect(stranger.stdout == "404", "\(stranger.stdout)")
        }
        #expect(try await FailClosedTests.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, "-H", "Authorization: Bearer \(other)",
                                                 refusalURL]).stdout == "404", "another agency's refusal is not revealed")
        // The validation data is in the store, so in every backup of it, which counts it.
        let backup = try await TrucRun.run(["backup", dir + "/backup", "--data", server.data])
        let counted = backup.stdout.range(of: #"[0-9]+ validation objects \([0-9]+ links to messages, [0-9]+ to refusals\)"#, options: .regularExpression)
            .map { String(backup.stdout[$0]) } ?? ""
        #expect(backup.exitCode == 0 && !counted.hasPrefix("0 ") && !counted.contains("(0 links") && !counted.hasSuffix(" 0 to refusals)"), "\(backup.stdout)\(backup.stderr)")
        let anonymous = try await FailClosedTests.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, hub + "/v1/messages/x/validation-report"])
        #expect(anonymous.stdout == "401", "\(anonymous.stdout)")
    }
}
