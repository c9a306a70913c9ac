import Foundation
import NIOHTTP1
import Testing
import TrucTestSupport
@testable import TrucVocabulary

/// Only the sender's own seal counts: an organisation signature counts for the sending agency when its
/// certificate is one the directory binds to that agency.
@Suite("Only the sender's own seal counts", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1")), .timeLimit(.minutes(30)))
struct SealAttributionTests {
    static let demo = LiveHub.repo.appendingPathComponent("Certs/demo/agencies").path

    /// The unsigned sample, sent as `sender` (From and DocumentId), sealed on its envelope with `signer`'s
    /// organisation key by the xmlsec1 CLI.
    static func sealed(as sender: String, by signer: String, number: Int) async throws -> [UInt8] {
        var text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pdf-unsigned.edxml"))), as: UTF8.self)
        if sender != "000.00.00.G22" {
            text = text.replacingOccurrences(of: "<edXML:OrganId>\(sender)</edXML:OrganId>", with: "<edXML:OrganId>000.00.00.G22</edXML:OrganId>")
            let from = try #require(text.range(of: "<edXML:OrganId>000.00.00.G22</edXML:OrganId>"))
            text.replaceSubrange(from, with: "<edXML:OrganId>\(sender)</edXML:OrganId>")
        }
        text = text.replacingOccurrences(of: "000.00.00.G22,", with: "\(sender),")
        text = text.replacingOccurrences(of: ",2015/09/30,7816/", with: ",2015/09/30,\(number)7816/")
        let template = try String(contentsOfFile: LiveHub.repo.appendingPathComponent("docs/signature-template.xml").path, encoding: .utf8)
        text = text.replacingOccurrences(of: "</edXML:edXMLHeader>", with: template + "</edXML:edXMLHeader>")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-seal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("doc.xml"), output = dir.appendingPathComponent("signed.edxml")
        try Data(text.utf8).write(to: input)
        let keys = "\(demo)/\(signer)/organisation.key,\(demo)/\(signer)/organisation.chain.pem"
        let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/xmlsec1"), ["--sign", "--privkey-pem", keys, "--output", output.path, input.path])
        #expect(run.exitCode == 0, "xmlsec1: \(run.stderr)")
        return [UInt8](try Data(contentsOf: output))
    }

    static func certificateSHA256(of agency: String) async throws -> String {
        let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/openssl"),
                                  ["x509", "-in", "\(demo)/\(agency)/organisation.pem", "-noout", "-fingerprint", "-sha256"])
        return run.stdout.split(separator: "=").last.map { $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased() } ?? ""
    }

    @Test("G22's own seal counts; H41's seal on G22's document is signer-not-sender and unsigned; an agency with nothing bound is signer-unbound until the operator binds its certificate")
    func onlyOwnSeal() async throws {
        let agencies: [(String, String, String?)] = [("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"),
                                                     ("000.00.00.H41", "UBND Tỉnh Nghệ An", "MST:2900100002"),
                                                     ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil), ("000.00.00.G17", "Bộ TT&TT", nil)]
        try await LiveHub.run(agencies: agencies) { hub in
            let g22 = try await hub.token("000.00.00.G22"), h14 = try await hub.token("000.00.00.H14")
            func send(_ bytes: [UInt8], _ token: String) async throws -> [String: Any] {
                let reply = try await hub.request(.POST, "/v1/messages", token: token, body: bytes)
                #expect(reply.status == 202, "\(String(decoding: reply.body.prefix(400), as: UTF8.self))")
                return try #require(reply.json?["signature"] as? [String: Any])
            }
            func reasons(_ verdict: [String: Any]) -> [String] {
                (verdict["signatures"] as? [[String: Any]] ?? []).flatMap { $0["reasons"] as? [String] ?? [] }
            }
            // Sealed by the sender itself: organisation.
            let own = try await send(try Self.sealed(as: "000.00.00.G22", by: "000.00.00.G22", number: 1), g22)
            #expect(own["bucket"] as? String == "organisation" && reasons(own).isEmpty, "\(own)")
            // Sealed by another agency: the signature holds, but it is not G22's.
            let foreign = try await send(try Self.sealed(as: "000.00.00.G22", by: "000.00.00.H41", number: 2), g22)
            let foreignSignature = try #require((foreign["signatures"] as? [[String: Any]])?.first)
            #expect(foreign["bucket"] as? String == "unsigned" && foreignSignature["status"] as? String == "valid"
                    && reasons(foreign) == ["signer-not-sender"], "\(foreign)")
            // H14 has no certificate bound: its seal does not count yet.
            let unbound = try await send(try Self.sealed(as: "000.00.00.H14", by: "000.00.00.G22", number: 3), h14)
            #expect(unbound["bucket"] as? String == "unsigned" && reasons(unbound) == ["signer-unbound"], "\(unbound)")
            // The operator binds the certificate (by its SHA-256); from then on it counts.
            let fingerprint = try await Self.certificateSHA256(of: "000.00.00.G22")
            let bind = try await hub.request(.PUT, "/v1/admin/agencies/000.00.00.H14/seals", token: hub.operatorToken,
                                             body: Array("{\"seals\":[\"SHA256:\(fingerprint.uppercased())\"]}".utf8))
            #expect(bind.status == 200 && bind.json?["seals"] as? [String] == ["sha256:\(fingerprint)"] && bind.json?["bound"] as? Bool == true,
                    "\(String(decoding: bind.body, as: UTF8.self))")
            let bound = try await send(try Self.sealed(as: "000.00.00.H14", by: "000.00.00.G22", number: 4), h14)
            #expect(bound["bucket"] as? String == "organisation" && reasons(bound).isEmpty, "\(bound)")
            // Bad values are refused and change nothing.
            let bad = try await hub.request(.PUT, "/v1/admin/agencies/000.00.00.H14/seals", token: hub.operatorToken,
                                            body: Array("{\"seals\":[\"sha256:abc\"]}".utf8))
            #expect(bad.status == 422 && bad.errorCode == "invalid-seal")
            #expect(try await hub.request(.GET, "/v1/admin/agencies/000.00.00.H14/seals", token: hub.operatorToken).json?["seals"] as? [String]
                    == ["sha256:\(fingerprint)"])
            #expect(try await hub.request(.PUT, "/v1/admin/agencies/000.00.00.X99/seals", token: hub.operatorToken,
                                          body: Array("{\"seals\":[]}".utf8)).status == 404)
            #expect(try await hub.request(.PUT, "/v1/admin/agencies/000.00.00.H14/seals", token: g22, body: Array("{\"seals\":[]}".utf8)).status == 403)

            // The signed ratio counts what the verdicts say: G22 one organisation of two, H14 one of two.
            let today = CivilCalendarToday.string
            let report = try #require(try await hub.request(.GET, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&groupBy=agency",
                                                            token: hub.operatorToken).json)
            let groups = report["groups"] as? [[String: Any]] ?? []
            func counts(_ code: String) -> [String: Any] { (groups.first { $0["key"] as? String == code }?["counts"] as? [String: Any]) ?? [:] }
            #expect(counts("000.00.00.G22")["organisation"] as? Int == 1 && counts("000.00.00.G22")["unsigned"] as? Int == 1, "\(groups)")
            #expect(counts("000.00.00.H14")["organisation"] as? Int == 1 && counts("000.00.00.H14")["unsigned"] as? Int == 1, "\(groups)")
        }
    }
}

/// The same real-PKI shapes through a live hub (the documents of `make_pki_profiles.py`).
@Suite("Real PKI shapes through a live hub",
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1") && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")), .timeLimit(.minutes(30)))
struct PKIProfileLiveTests {
    @Test("serverAuth-only signer: 422 invalid-signature (key-usage); cross-certified CA: 202, G22's own seal")
    func liveProfiles() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-profiles-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", LiveHub.repo.appendingPathComponent("Tests/Fixtures/signatures/make_pki_profiles.py").path, dir])
        #expect(made.exitCode == 0, "\(made.stderr)")
        try await LiveHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            // Both documents carry the same DocumentId: only the second is accepted, so no conflict.
            func send(_ name: String, _ number: Int) async throws -> LiveHub.Reply {
                try await hub.request(.POST, "/v1/messages", token: g22, body: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).edxml"))))
            }
            let eku = try await send("eku-server-only", 1)
            #expect(eku.status == 422 && eku.errorCode == "invalid-signature" && String(decoding: eku.body, as: UTF8.self).contains("serverAuth"))
            let cross = try await send("cross-self-first", 2)
            #expect(cross.status == 202 && (cross.json?["signature"] as? [String: Any])?["bucket"] as? String == "organisation",
                    "\(String(decoding: cross.body.prefix(400), as: UTF8.self))")
            // The verdict names the trust it was made under: the snapshot the operator reads from the hub.
            let snapshot = try #require(try await hub.request(.GET, "/v1/admin/trust", token: hub.operatorToken).json?["snapshot"] as? String)
            #expect((cross.json?["signature"] as? [String: Any])?["trustSnapshot"] as? String == snapshot && snapshot.hasPrefix("sha256:"))
        }
    }
}
