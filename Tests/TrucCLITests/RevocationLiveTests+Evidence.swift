import Foundation
import Testing
import TrucTestSupport
@testable import TrucVocabulary

/// The live revocation lab, continued: re-validation from kept data, time-stamped checkpoints, rewritten addresses.
extension RevocationLiveTests {
    @Test("re-validation from the kept data: documents accepted with fetched OCSP and CRL answers re-judge at receipt to the same indication with the lab gone and the caches deleted; --at now with a CRL published since reports the revocation; the statistics do not move",
          .enabled(if: available))
    func revalidation() async throws {
        let lab = try await Lab()
        let server = try await HubEndToEndTests.Server(["--trust", lab.trust], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken()
        var sources: [String: String] = [:]
        for name in ["ocsp-good", "crl-late"] {
            let sent = try await TrucRun.run(["send", try lab.document(signedBy: name), "--hub", "https://127.0.0.1:\(server.port)",
                                        "--ca", FailClosedTests.demo + "/trust/root-ca.pem", "--token", token, "--json"])
            let verdict = try #require(Self.signature(sent), "\(sent.stdout)\(sent.stderr)")
            #expect(sent.exitCode == 0 && verdict["status"] as? String == "valid", "\(name): \(sent.stdout)")
            sources[name] = (verdict["revocation"] as? [String: Any])?["source"] as? String
        }
        #expect(sources["ocsp-good"] == "ocsp \(lab.base)/ocsp" && sources["crl-late"] == "crl \(lab.base)/ca.crl", "\(sources)")
        // After the hub took them, the CA revokes crl-late's certificate and publishes a new CRL.
        #expect(try await FailClosedTests.run("curl", ["-sf", "-X", "POST", "\(lab.base)/control/revoke?name=crl-late"]).exitCode == 0)
        let published = lab.work + "/after"
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: lab.trust + "/lab-ca.pem", toPath: published + "/lab-ca.pem")
        try FileManager.default.copyItem(atPath: lab.work + "/ca.crl.pem", toPath: published + "/lab.crl.pem")
        let day = CivilCalendarText.vietnamDay()
        let data = ["--data", server.data]
        let statsBefore = try await TrucRun.run(["stats", "--from", day, "--to", day] + data).stdout
        #expect(await server.stop(keepData: true) == 0)
        // The network gone (the lab stopped) and the hub's revocation caches deleted.
        Program.killTree(lab.process.processIdentifier)
        try? FileManager.default.removeItem(atPath: server.data + "/revocation")

        let atReceipt = try await TrucRun.run(["revalidate", "--from", day, "--to", day, "--json", "--require-revocation"] + data)
        #expect(atReceipt.exitCode == 0, "\(atReceipt.stdout)\(atReceipt.stderr)")
        let outcomes = atReceipt.json?["outcomes"] as? [[String: Any]] ?? []
        let edocs = outcomes.filter { ($0["signatures"] as? [[String: Any]])?.isEmpty == false }
        #expect(edocs.count == 2 && edocs.allSatisfy { $0["changed"] as? Bool == false && $0["bucketNow"] as? String == $0["bucket"] as? String }, "\(atReceipt.stdout)")
        #expect(edocs.allSatisfy { (($0["signaturesNow"] as? [[String: Any]])?.first?["indication"] as? String) == "TOTAL-PASSED" }, "\(atReceipt.stdout)")
        // Without the kept answers (the document alone, offline) revocation cannot be decided: the kept data is what decided.
        let bare = try await TrucRun.run(["verify", try lab.document(signedBy: "crl-late"), "--trust", lab.trust, "--revocation", "offline", "--require-revocation", "--json"])
        #expect(((bare.json?["signatures"] as? [[String: Any]])?.first?["reasons"] as? [String]) == ["revocation-unknown"], "\(bare.stdout)")

        // Now, with the CRL published since: crl-late's document changed (revoked); ocsp-good's kept answer is stale now.
        let now = try await TrucRun.run(["revalidate", "--from", day, "--to", day, "--at", "now", "--trust", published, "--json"] + data)
        #expect(now.exitCode == 1, "\(now.stdout)\(now.stderr)")
        let revoked = (now.json?["outcomes"] as? [[String: Any]] ?? []).filter { $0["changed"] as? Bool == true }
        #expect(revoked.contains { o in
            (o["signaturesNow"] as? [[String: Any]])?.first?["reasons"] as? [String] == ["revoked"]
                && (o["why"] as? [String])?.contains { $0.contains("revoked") } == true
        }, "\(now.stdout)")
        // Nothing was written: the statistics read the same.
        #expect(try await TrucRun.run(["stats", "--from", day, "--to", day] + data).stdout == statsBefore)
        let text = try await TrucRun.run(["revalidate", "--from", day, "--to", day] + data)
        #expect(text.exitCode == 0 && text.stdout.contains("documents re-judged at receipt from the kept data: 0 changed"), "\(text.stdout)")
        #expect(try await TrucRun.run(["revalidate", "--from", day, "--to", "2020-01-01"] + data).exitCode == 2)
        #expect(try await TrucRun.run(["revalidate", "--from", day, "--to", day, "--at", "yesterday"] + data).exitCode == 2)
        try? FileManager.default.removeItem(atPath: server.data)
    }

    @Test("checkpoints time-stamped by an RFC 3161 TSA (openssl ts): the token verifies with openssl ts -verify over the signed note; with the TSA down, intake goes on and the backlog is stamped when it returns",
          .enabled(if: available))
    func checkpointTimeStamps() async throws {
        let lab = try await Lab()
        let tsa = (lab.info["tsa"] as? [String: String])?["url"] ?? ""
        // First with a TSA address where nothing listens: intake is not held up, checkpoints wait unstamped.
        let dead = reservedTCPPort()
        defer { dead.release() }
        let server = try await HubEndToEndTests.Server(["--trust", lab.trust, "--checkpoint-interval", "1", "--tsa-url", "http://127.0.0.1:\(dead.port)/tsa"],
                                                 keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken()
        func get(_ path: String) async throws -> TrucRun {
            try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(token)",
                                             "https://127.0.0.1:\(server.port)" + path])
        }
        let sent = try await TrucRun.run(["send", try lab.document(signedBy: "ocsp-good"), "--hub", "https://127.0.0.1:\(server.port)",
                                    "--ca", FailClosedTests.demo + "/trust/root-ca.pem", "--token", token, "--json"])
        #expect(sent.exitCode == 0, "\(sent.stdout)\(sent.stderr)")
        var note = ""
        for _ in 0..<100 where note.isEmpty {
            let answer = try await get("/v1/log/checkpoint")
            if answer.exitCode == 0 { note = answer.stdout } else { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(!note.isEmpty, "a checkpoint is signed although the TSA is down")
        #expect(try await get("/v1/log/timestamp").exitCode != 0, "not time-stamped while the TSA is down")
        #expect(await server.stop(keepData: true) == 0)
        defer { try? FileManager.default.removeItem(atPath: server.data) }

        // The TSA back (the same data directory, the lab's TSA): the waiting checkpoint is stamped.
        let again = try await HubEndToEndTests.Server(["--trust", lab.trust, "--checkpoint-interval", "1", "--tsa-url", tsa], keepLog: true, data: server.data)
        defer { again.process.kill() }
        try await again.waitUntilReady()
        var stamped: [String: Any] = [:]
        for _ in 0..<150 {
            let answer = try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(token)",
                                                          "https://127.0.0.1:\(again.port)/v1/log/timestamp"])
            if answer.exitCode == 0, let json = try? JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any] {
                stamped = json
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let tokenBytes = try #require((stamped["token"] as? String).flatMap { Data(base64Encoded: $0) }, "no time-stamp within 15 s")
        let stampedNote = try #require(stamped["checkpoint"] as? String)
        try tokenBytes.write(to: URL(fileURLWithPath: lab.work + "/checkpoint.tst"))
        try Data(stampedNote.utf8).write(to: URL(fileURLWithPath: lab.work + "/checkpoint.note"))
        let verified = try await FailClosedTests.run("openssl", ["ts", "-verify", "-data", lab.work + "/checkpoint.note", "-in", lab.work + "/checkpoint.tst",
                                                          "-token_in", "-CAfile", lab.work + "/ca.pem"])
        #expect(verified.exitCode == 0 && verified.stdout.contains("Verification: OK"), "\(verified.stdout)\(verified.stderr)")
        try Data((stampedNote + "x").utf8).write(to: URL(fileURLWithPath: lab.work + "/other.note"))
        #expect(try await FailClosedTests.run("openssl", ["ts", "-verify", "-data", lab.work + "/other.note", "-in", lab.work + "/checkpoint.tst",
                                                   "-token_in", "-CAfile", lab.work + "/ca.pem"]).exitCode != 0)
        // The message's evidence bundle carries the token: checked offline against the trust directory, it dates the checkpoint.
        let id = try #require(sent.json?["id"] as? String)
        let bundle = lab.work + "/evidence.zip"
        #expect(try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(token)", "-o", bundle,
                                                 "https://127.0.0.1:\(again.port)/v1/messages/\(id)/evidence"]).exitCode == 0)
        let checked = try await TrucRun.run(["evidence", "verify", bundle, "--trust", lab.trust, "--json"])
        let stampedAt = try #require(stamped["time"] as? String)
        #expect(checked.exitCode == 0 && (checked.json?["proves"] as? [String] ?? []).contains { $0.contains("existed at \(stampedAt), time-stamped by") },
                "\(checked.stdout)\(checked.stderr)")
        // Without the TSA's trust anchor the token proves nothing, and the command says so.
        let untrusted = try await TrucRun.run(["evidence", "verify", bundle, "--trust", FailClosedTests.demo + "/trust"])
        #expect(untrusted.exitCode == 1 && untrusted.stdout.contains("checkpoint.tsr does not prove a time"), "\(untrusted.stdout)")
    }

    @Test("OCSP and CRL addresses that resolve only inside government networks (http://ocsp.ca.ptc): unknown as written, answered once rewritten to a reachable address, the rewrite in the verdict",
          .enabled(if: available))
    func rewrittenAddresses() async throws {
        let lab = try await Lab()
        let document = try await lab.document(signedBy: "government")
        let rewrite = "http://ocsp.ca.ptc=\(lab.base),http://crl.ca.ptc=\(lab.base)"
        let asWritten = try await TrucRun.run(["verify", document, "--trust", lab.trust, "--json"])
        let unknown = try #require((asWritten.json?["signatures"] as? [[String: Any]])?.first, "\(asWritten.stdout)")
        #expect(unknown["status"] as? String == "indeterminate" && unknown["reasons"] as? [String] == ["revocation-unknown"], "\(unknown)")
        let rewritten = try await TrucRun.run(["verify", document, "--trust", lab.trust, "--revocation-rewrite", rewrite, "--json"])
        let good = try #require((rewritten.json?["signatures"] as? [[String: Any]])?.first, "\(rewritten.stdout)")
        #expect(good["status"] as? String == "valid", "\(good)")
        #expect((good["revocation"] as? [String: Any])?["source"] as? String == "ocsp \(lab.base)/ocsp (rewritten from http://ocsp.ca.ptc/ocsp)", "\(good)")
        #expect(try await TrucRun.run(["verify", document, "--trust", lab.trust, "--revocation-rewrite", "ocsp.ca.ptc"]).exitCode == 2)

        // The same through a running hub configured with the rewrite.
        let server = try await HubEndToEndTests.Server(["--trust", lab.trust, "--revocation-rewrite", rewrite])
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken()
        let sent = try await TrucRun.run(["send", document, "--hub", "https://127.0.0.1:\(server.port)", "--ca", FailClosedTests.demo + "/trust/root-ca.pem",
                                    "--token", token, "--json"])
        let verdict = try #require(Self.signature(sent), "\(sent.stdout)\(sent.stderr)")
        #expect(verdict["status"] as? String == "valid" && ((verdict["revocation"] as? [String: Any])?["source"] as? String)?.contains("rewritten from http://ocsp.ca.ptc/ocsp") == true,
                "\(verdict)")
    }
}
