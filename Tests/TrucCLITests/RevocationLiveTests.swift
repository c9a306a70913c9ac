import Foundation
import Testing
import TrucTestSupport
@testable import TrucVocabulary

/// Revocation as a user meets it: a hub with the default policy (prefer OCSP, then CRLs) and a trust directory
/// holding only a CA whose certificates point at a lab on 127.0.0.1 (`Tests/Fixtures/revocation/lab.py`:
/// `openssl ca` for the CA and its CRL, `openssl ocsp` as the responder). Documents are signed with xmlsec1.
@Suite("Revocation, live: OCSP and CRLs fetched by a running hub", .serialized, .timeLimit(.minutes(30)))
struct RevocationLiveTests {
    static let available = ["/usr/bin/xmlsec1", "/usr/bin/openssl", "/usr/bin/python3", "/usr/bin/curl"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    static func signature(_ run: TrucRun) -> [String: Any]? {
        ((run.json?["signature"] as? [String: Any])?["signatures"] as? [[String: Any]])?.first
            ?? ((run.json?["error"] as? [String: Any])?["signature"] as? [String: Any]).flatMap {
                ($0["signatures"] as? [[String: Any]])?.first
            }
    }

    @Test("a hub with the default policy: OCSP good and revoked, a CA with only a CRL, a CRL published after start, unreachable, slow and rogue responders",
          .enabled(if: available))
    func liveHub() async throws {
        let lab = try await Lab()
        let demo = FailClosedTests.demo
        let server = try await HubEndToEndTests.Server(["--trust", lab.trust, "--revocation-freshness", "2", "--revocation-budget", "1.5",
                                                  "--operator-token", "op-secret-revocation-live"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let hub = "https://127.0.0.1:\(server.port)"
        let ca = demo + "/trust/root-ca.pem"
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func send(_ name: String) async throws -> TrucRun {
            try await TrucRun.run(["send", try lab.document(signedBy: name), "--hub", hub, "--ca", ca, "--token", token])
        }

        // A CA that publishes only OCSP: accepted, the answer from the responder.
        let good = try await send("ocsp-good")
        #expect(good.exitCode == 0, "\(good.stdout)\(good.stderr)")
        let goodVerdict = try #require(Self.signature(good), "\(good.stdout)")
        #expect(goodVerdict["status"] as? String == "valid")
        #expect((goodVerdict["revocation"] as? [String: Any])?["source"] as? String == "ocsp \(lab.base)/ocsp", "\(goodVerdict)")
        // organizationIdentifier (2.5.4.97) names an organisation.
        #expect(goodVerdict["kind"] as? String == "organisation")
        #expect((goodVerdict["signer"] as? [String: Any])?["identifier"] as? String == "VATVN-0100100001")

        // OCSP says revoked: refused.
        let revoked = try await send("ocsp-revoked")
        #expect(revoked.exitCode == 1 && revoked.stdout.contains("invalid-signature"), "\(revoked.stdout)")
        #expect(Self.signature(revoked)?["reasons"] as? [String] == ["revoked"], "\(revoked.stdout)")

        // A CA with only a CRL distribution point: good from the fetched CRL; revoked in a CRL published after
        // the hub started, and refused without a restart once the freshness (2 s) has passed.
        let before = try await send("crl-late")
        #expect(before.exitCode == 0, "\(before.stdout)")
        #expect((Self.signature(before)?["revocation"] as? [String: Any])?["source"] as? String == "crl \(lab.base)/ca.crl")
        let control = try await FailClosedTests.run("curl", ["-sf", "-X", "POST", lab.base + "/control/revoke?name=crl-late"])
        #expect(control.exitCode == 0)
        var after: TrucRun?
        for _ in 0..<20 {
            try await Task.sleep(for: .seconds(1))
            let attempt = try await send("crl-late")
            if attempt.exitCode == 1 { after = attempt; break }
        }
        let late = try #require(after, "the new CRL was never used")
        #expect(Self.signature(late)?["reasons"] as? [String] == ["revoked"], "\(late.stdout)")
        #expect(late.stdout.contains("superseded"), "\(late.stdout)")

        // No responder answers (connection refused; a responder whose certificate may not sign OCSP answers):
        // the revocation is unknown, the signature indeterminate (accepted and counted apart).
        for name in ["unreachable", "rogue"] {
            let run = try await send(name)
            #expect(run.exitCode == 0, "\(name): \(run.stdout)")
            #expect(Self.signature(run)?["status"] as? String == "indeterminate", "\(name): \(run.stdout)")
            #expect(Self.signature(run)?["reasons"] as? [String] == ["revocation-unknown"], "\(name): \(run.stdout)")
        }

        // A slow responder (4 s) does not hold intake past the budget (1.5 s); its answer, when it comes, is
        // cached, and the next document of that signer is decided from the cache.
        let started = ContinuousClock.now
        let slow = try await send("slow")
        #expect(ContinuousClock.now - started < .seconds(4), "intake waited for the slow responder")
        #expect(Self.signature(slow)?["status"] as? String == "indeterminate", "\(slow.stdout)")
        // (Polled, not waited for: the answer lands in the cache about 4 s after the first request.)
        var cached = slow
        for _ in 0..<30 where Self.signature(cached)?["status"] as? String != "valid" {
            try await Task.sleep(for: .milliseconds(500))
            cached = try await send("slow")
        }
        #expect(Self.signature(cached)?["status"] as? String == "valid", "\(cached.stdout)")

        // The operator sees the sources: cache hits and misses, fetches, failures, the CRL's age.
        let view = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer op-secret-revocation-live", hub + "/v1/admin/revocation"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(view.stdout.utf8)) as? [String: Any], "\(view.stdout)")
        #expect(json["mode"] as? String == "prefer-ocsp")
        let sources = json["sources"] as? [[String: Any]] ?? []
        let ocsp = sources.first { $0["url"] as? String == lab.base + "/ocsp" }
        #expect((ocsp?["fetches"] as? Int ?? 0) >= 2 && (ocsp?["hits"] as? Int ?? -1) >= 0, "\(view.stdout)")
        #expect((sources.first { $0["url"] as? String == lab.base + "/rogue" }?["failures"] as? Int ?? 0) >= 1, "\(view.stdout)")
        #expect((json["crls"] as? [[String: Any]])?.first?["url"] as? String == lab.base + "/ca.crl", "\(view.stdout)")
        let metrics = try await FailClosedTests.run("curl", ["-sf", "--cacert", ca, "-H", "Authorization: Bearer op-secret-revocation-live", hub + "/metrics"])
        #expect(metrics.stdout.contains("truc_revocation_fetches{url=\"\(lab.base)/ocsp\"}"), "\(metrics.stdout.prefix(3000))")
        #expect(metrics.stdout.contains("truc_revocation_crl_age_seconds{url=\"\(lab.base)/ca.crl\"}"))
        // The fetched CRL is kept in the data directory.
        let kept = try FileManager.default.contentsOfDirectory(atPath: server.data + "/revocation/crl")
        #expect(kept.contains { $0.hasSuffix(".crl") }, "\(kept)")
    }

    @Test("truc verify: --revocation prefer-ocsp asks the responder and says so; offline reads only the trust directory",
          .enabled(if: available))
    func verifyCommand() async throws {
        let lab = try await Lab()
        let revoked = try await lab.document(signedBy: "ocsp-revoked")
        let online = try await TrucRun.run(["verify", revoked, "--trust", lab.trust])
        #expect(online.exitCode == 1, "\(online.stdout)")
        #expect(online.stdout.contains("revocation: revoked") && online.stdout.contains("(keyCompromise), from ocsp \(lab.base)/ocsp"), "\(online.stdout)")
        // Offline: no CRL file for the lab CA and no network: nothing to ask, so not caught (unless required).
        let offline = try await TrucRun.run(["verify", revoked, "--trust", lab.trust, "--revocation", "offline"])
        #expect(offline.exitCode == 0, "\(offline.stdout)")
        #expect(offline.stdout.contains("revocation: none"), "\(offline.stdout)")
        let required = try await TrucRun.run(["verify", revoked, "--trust", lab.trust, "--revocation", "offline", "--require-revocation"])
        #expect(required.exitCode == 1 && required.stdout.contains("revocation-unknown"), "\(required.stdout)")
        // crl-only: the CRL of the distribution point (an OCSP-only certificate has none: unknown → indeterminate).
        let crlOnly = try await TrucRun.run(["verify", try lab.document(signedBy: "crl-late"), "--trust", lab.trust, "--revocation", "crl-only", "--json"])
        #expect(crlOnly.exitCode == 0, "\(crlOnly.stdout)")
        #expect(crlOnly.stdout.contains("crl \(lab.base)/ca.crl"), "\(crlOnly.stdout)")
        // --revocation-unknown invalid turns an unreachable responder into a refusal.
        let strict = try await TrucRun.run(["verify", try lab.document(signedBy: "unreachable"), "--trust", lab.trust, "--revocation-unknown", "invalid", "--json"])
        #expect(strict.exitCode == 1 && strict.stdout.contains("\"status\" : \"invalid\""), "\(strict.stdout)")
        let bad = try await TrucRun.run(["verify", revoked, "--trust", lab.trust, "--revocation", "sometimes"])
        #expect(bad.exitCode == 2 && bad.stderr.contains("--revocation sometimes"), "\(bad.stdout)\(bad.stderr)")
    }

    /// An OCSP responder that says good hid the operator's CRL — the documented way to revoke (the CA's
    /// new CRL in the trust directory). Here the lab's OCSP responder knows nothing of the revocation, the CRL the
    /// operator installed (made by `openssl ca` from a copy of the lab CA's database) lists the signer: revoked.
    @Test("OCSP and the trust directory's CRL disagree, either way, or OCSP is unreachable: revoked wins, with both sources named",
          .enabled(if: available))
    func sourcesDisagree() async throws {
        let lab = try await Lab()
        let document = try await lab.document(signedBy: "ocsp-good")
        func first(_ run: TrucRun) -> [String: Any]? { (run.json?["signatures"] as? [[String: Any]])?.first }
        let good = try await TrucRun.run(["verify", document, "--trust", lab.trust, "--json"])
        #expect(good.exitCode == 0 && (first(good)?["revocation"] as? [String: Any])?["source"] as? String == "ocsp \(lab.base)/ocsp",
                "\(good.stdout)")

        // The operator's CRL: the lab CA revokes the signer in a copy of its database (its responder never hears of it).
        let shadow = lab.work + "/shadow", trust = lab.work + "/operator-trust"
        let files = FileManager.default
        try files.createDirectory(atPath: shadow, withIntermediateDirectories: true)
        try files.copyItem(atPath: lab.work + "/index.txt", toPath: shadow + "/index.txt")
        try Data("1000\n".utf8).write(to: URL(fileURLWithPath: shadow + "/crlnumber"))
        let config = """
            [ ca ]
            default_ca = shadow
            [ shadow ]
            database = \(shadow)/index.txt
            crlnumber = \(shadow)/crlnumber
            certificate = \(lab.work)/ca.pem
            private_key = \(lab.work)/ca.key
            default_md = sha256
            default_crl_hours = 2
            """
        try config.write(toFile: shadow + "/ca.cnf", atomically: true, encoding: .utf8)
        let revoke = try await FailClosedTests.run("openssl", ["ca", "-config", shadow + "/ca.cnf", "-revoke", lab.signer("ocsp-good").cert, "-crl_reason", "keyCompromise"])
        #expect(revoke.exitCode == 0, "\(revoke.stderr)")
        let crl = try await FailClosedTests.run("openssl", ["ca", "-config", shadow + "/ca.cnf", "-gencrl", "-out", shadow + "/lab.crl.pem"])
        #expect(crl.exitCode == 0, "\(crl.stderr)")
        try files.copyItem(atPath: lab.trust, toPath: trust)
        try files.copyItem(atPath: shadow + "/lab.crl.pem", toPath: trust + "/lab.crl.pem")

        let revoked = try await TrucRun.run(["verify", document, "--trust", trust, "--json"])
        #expect(revoked.exitCode == 1, "\(revoked.stdout)")
        let verdict = first(revoked)
        let revocation = verdict?["revocation"] as? [String: Any]
        #expect(revocation?["status"] as? String == "revoked" && (revocation?["source"] as? String)?.hasPrefix("file ") == true, "\(revoked.stdout)")
        #expect((verdict?["detail"] as? String)?.contains("ocsp \(lab.base)/ocsp answered good") == true, "\(revoked.stdout)")
        // offline, the same CRL alone decides
        let offline = try await TrucRun.run(["verify", document, "--trust", trust, "--revocation", "offline"])
        #expect(offline.exitCode == 1 && offline.stdout.contains("revocation: revoked"), "\(offline.stdout)")

        // The other way round: the responder says revoked, the operator's CRL (made from an empty database) says good.
        let empty = lab.work + "/empty"
        try files.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: empty + "/index.txt"))
        try Data("2000\n".utf8).write(to: URL(fileURLWithPath: empty + "/crlnumber"))
        try config.replacingOccurrences(of: shadow, with: empty).write(toFile: empty + "/ca.cnf", atomically: true, encoding: .utf8)
        #expect(try await FailClosedTests.run("openssl", ["ca", "-config", empty + "/ca.cnf", "-gencrl", "-out", empty + "/lab.crl.pem"]).exitCode == 0)
        let cleanTrust = lab.work + "/clean-trust"
        try files.copyItem(atPath: lab.trust, toPath: cleanTrust)
        try files.copyItem(atPath: empty + "/lab.crl.pem", toPath: cleanTrust + "/lab.crl.pem")
        let byResponder = try await TrucRun.run(["verify", try lab.document(signedBy: "ocsp-revoked"), "--trust", cleanTrust, "--json"])
        let responderVerdict = first(byResponder)
        #expect(byResponder.exitCode == 1 && (responderVerdict?["revocation"] as? [String: Any])?["source"] as? String == "ocsp \(lab.base)/ocsp",
                "\(byResponder.stdout)")
        #expect((responderVerdict?["detail"] as? String)?.contains("answered good") == true, "\(byResponder.stdout)")

        // An unreachable responder and the operator's CRL that revokes the signer: revoked (not unknown).
        #expect(try await FailClosedTests.run("openssl", ["ca", "-config", shadow + "/ca.cnf", "-revoke", lab.signer("unreachable").cert]).exitCode == 0)
        #expect(try await FailClosedTests.run("openssl", ["ca", "-config", shadow + "/ca.cnf", "-gencrl", "-out", trust + "/lab.crl.pem"]).exitCode == 0)
        let unreachable = try await TrucRun.run(["verify", try lab.document(signedBy: "unreachable"), "--trust", trust, "--json"])
        #expect(unreachable.exitCode == 1 && ((first(unreachable)?["revocation"] as? [String: Any])?["status"] as? String) == "revoked",
                "\(unreachable.stdout)")
    }

    @Test("hostile revocation answers decide nothing: not DER, oversized, HTTP 500, a replayed response, a stale CRL, another CA's CRL",
          .enabled(if: available))
    func hostileAnswers() async throws {
        let lab = try await Lab()
        let cases = [("garbage", "is not DER"), ("huge", "larger than 65536 bytes"), ("http-error", "HTTP 500"),
                     ("replay", "different nonce"), ("stale-crl", "stale"), ("wrong-crl", "is not signed by")]
        for (name, problem) in cases {
            let started = ContinuousClock.now
            let run = try await TrucRun.run(["verify", try lab.document(signedBy: name), "--trust", lab.trust, "--json"])
            #expect(ContinuousClock.now - started < .seconds(10), "\(name) took too long")
            let verdict = (run.json?["signatures"] as? [[String: Any]])?.first
            #expect(run.exitCode == 1, "\(name): \(run.stdout)\(run.stderr)")
            #expect(verdict?["status"] as? String == "indeterminate" && verdict?["reasons"] as? [String] == ["revocation-unknown"], "\(name): \(run.stdout)")
            #expect((verdict?["detail"] as? String)?.contains(problem) == true, "\(name): \(run.stdout)")
        }
    }

    static var pyHanko: Bool { get async { (try? await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import pyhanko"]).exitCode) == 0 } }

    @Test("a hub accepts a document time-stamped in 2017 by a signer whose certificate expired in 2018, and refuses it without the time-stamp")
    func archivedDocument() async throws {
        let archive = CLIFixtures.path("signatures/pki/archive")
        let server = try await HubEndToEndTests.Server(["--trust", archive + "/trust"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let hub = "https://127.0.0.1:\(server.port)", ca = FailClosedTests.demo + "/trust/root-ca.pem"
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let stamped = try await TrucRun.run(["send", archive + "/pdf-ts-expired.edxml", "--hub", hub, "--ca", ca, "--token", token])
        #expect(stamped.exitCode == 0, "\(stamped.stdout)\(stamped.stderr)")
        let verdict = Self.signature(stamped)
        #expect(verdict?["status"] as? String == "valid")
        #expect((verdict?["timestamp"] as? [String: Any])?["time"] as? String == "2017-06-01T00:00:00Z", "\(stamped.stdout)")
        let plain = try await TrucRun.run(["send", archive + "/pdf-expired.edxml", "--hub", hub, "--ca", ca, "--token", token])
        #expect(plain.exitCode == 1 && Self.signature(plain)?["reasons"] as? [String] == ["expired"], "\(plain.stdout)")
    }

    @Test("openssl ts as the TSA: a PDF signed by pyHanko with a live time-stamp; years later, with the TSA's certificate expired too and no renewal, it proves nothing (truc verify --at)",
          .enabled {
              let installed = await Self.pyHanko
              return available && (installed || ProcessInfo.processInfo.environment["CI"] != nil)
          })
    func liveTimestamp() async throws {
        let lab = try await Lab()
        let (key, cert) = lab.signer("ocsp-good")
        let tsa = (lab.info["tsa"] as! [String: String])["url"]!
        let output = lab.work + "/stamped.edxml"
        let signed = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", CLIFixtures.path("revocation/sign_pdf_with_tsa.py"), key, cert, tsa, output])
        #expect(signed.exitCode == 0, "pyHanko: \(signed.stderr)")
        // Now: valid, the time-stamp from openssl ts read and reported.
        let verified = try await TrucRun.run(["verify", output, "--trust", lab.trust, "--revocation", "offline"])
        #expect(verified.exitCode == 0, "\(verified.stdout)")
        #expect(verified.stdout.contains("time-stamp: ") && verified.stdout.contains("by CN=Lab TSA"), "\(verified.stdout)")
        // The lab's certificates run one year: two years from now the signer's and the TSA's have expired, and no
        // archive time-stamp renewed the evidence in time: the time-stamp proves nothing, the signer is expired.
        let later = CivilCalendarText.isoDay(secondsFromNow: 2 * 366 * 86_400)
        let lapsed = try await TrucRun.run(["verify", output, "--trust", lab.trust, "--revocation", "offline", "--at", later])
        #expect(lapsed.exitCode == 1 && lapsed.stdout.contains("[expired]"), "\(lapsed.stdout)")
        #expect(lapsed.stdout.contains("proves nothing now") && lapsed.stdout.contains("Lab TSA"), "\(lapsed.stdout)")
        // Without a time-stamp, the same signer two years on: expired.
        let withoutStamp = try await TrucRun.run(["verify", try lab.document(signedBy: "ocsp-good"), "--trust", lab.trust, "--revocation", "offline", "--at", later])
        #expect(withoutStamp.exitCode == 1 && withoutStamp.stdout.contains("[expired]"), "\(withoutStamp.stdout)")
    }

    @Test("a CRL whose issuingDistributionPoint is not the certificate's own distribution point is no evidence about it", .enabled(if: available))
    func otherDistributionPoint() async throws {
        let lab = try await Lab()
        let document = try await lab.document(signedBy: "crl-late") // its certificate names \(lab.base)/ca.crl
        let trust = lab.work + "/other-point-trust"
        try FileManager.default.createDirectory(atPath: trust, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: lab.trust + "/lab-ca.pem", toPath: trust + "/lab-ca.pem")
        let made = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", CLIFixtures.path("signatures/make_crl_scopes.py"), "--other-point", lab.work + "/ca.pem", lab.work + "/ca.key", trust + "/lab.crl.pem"])
        #expect(made.exitCode == 0, "\(made.stderr)")
        let run = try await TrucRun.run(["verify", document, "--trust", trust, "--revocation", "offline", "--json"])
        let v = try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)")
        #expect(v["status"] as? String == "indeterminate" && v["reasons"] as? [String] == ["revocation-unknown"]
                && (v["detail"] as? String)?.contains("is not the certificate's") == true, "\(v)")
    }

    @Test("a delta CRL at the certificate's freshestCRL address is read over its complete CRL (RFC 5280 §5.2.4): a hold the delta lifts is lifted, a revocation only the delta lists is one; offline, the pair in a trust directory reads the same",
          .enabled(if: available))
    func deltaCRLs() async throws {
        let lab = try await Lab()
        let held = try await lab.document(signedBy: "delta-held"), revoked = try await lab.document(signedBy: "delta-revoked")
        // OpenSSL reads the pair the same way (-use_deltas): the hold lifted, the delta's revocation kept.
        func openssl(_ name: String, deltas: Bool) async throws -> Int32 {
            try await FailClosedTests.run("openssl", ["verify", "-crl_check", "-CAfile", lab.work + "/ca.pem", "-CRLfile", lab.work + "/delta-base.crl"]
                + (deltas ? ["-use_deltas", "-CRLfile", lab.work + "/delta.crl"] : []) + [lab.signer(name).cert]).exitCode
        }
        let heldWithDelta = try await openssl("delta-held", deltas: true), heldAlone = try await openssl("delta-held", deltas: false)
        let revokedWithDelta = try await openssl("delta-revoked", deltas: true)
        #expect(heldWithDelta == 0 && heldAlone != 0 && revokedWithDelta != 0)
        func verdict(_ document: String, trust: String? = nil, _ extra: [String] = []) async throws -> [String: Any] {
            let run = try await TrucRun.run(["verify", document, "--trust", trust ?? lab.trust, "--json"] + extra)
            return try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)\(run.stderr)")
        }
        let lifted = try await verdict(held)
        #expect(lifted["status"] as? String == "valid"
                && (lifted["revocation"] as? [String: Any])?["source"] as? String == "crl \(lab.base)/delta-base.crl + delta \(lab.base)/delta.crl",
                "\(lifted)")
        let inDelta = try await verdict(revoked)
        #expect(inDelta["reasons"] as? [String] == ["revoked"]
                && (inDelta["revocation"] as? [String: Any])?["reason"] as? String == "keyCompromise", "\(inDelta)")

        // Offline, from files: the complete CRL alone says the hold; with its delta beside it, the hold is lifted.
        let files = lab.work + "/delta-files"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: lab.trust + "/lab-ca.pem", toPath: files + "/lab-ca.pem")
        try FileManager.default.copyItem(atPath: lab.work + "/delta-base.crl", toPath: files + "/lab-base.crl")
        let onHold = try await verdict(held, trust: files, ["--revocation", "offline"])
        #expect(onHold["reasons"] as? [String] == ["revoked"] && (onHold["revocation"] as? [String: Any])?["reason"] as? String == "certificateHold",
                "\(onHold)")
        try FileManager.default.copyItem(atPath: lab.work + "/delta.crl", toPath: files + "/lab-delta.crl")
        let released = try await verdict(held, trust: files, ["--revocation", "offline"])
        #expect(released["status"] as? String == "valid"
                && ((released["revocation"] as? [String: Any])?["source"] as? String)?.contains("(delta 101 over base 100)") == true, "\(released)")
        #expect(try await verdict(revoked, trust: files, ["--revocation", "offline"])["reasons"] as? [String] == ["revoked"])

        // Through a running hub: the released signer's document is accepted with both lists named; the other refused.
        let server = try await HubEndToEndTests.Server(["--trust", lab.trust])
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken()
        func send(_ document: String) async throws -> TrucRun {
            try await TrucRun.run(["send", document, "--hub", "https://127.0.0.1:\(server.port)", "--ca", FailClosedTests.demo + "/trust/root-ca.pem",
                             "--token", token, "--json"])
        }
        let accepted = try await send(held)
        #expect(accepted.exitCode == 0 && (Self.signature(accepted)?["revocation"] as? [String: Any])?["source"] as? String
                == "crl \(lab.base)/delta-base.crl + delta \(lab.base)/delta.crl", "\(accepted.stdout)\(accepted.stderr)")
        let refused = try await send(revoked)
        #expect(refused.exitCode == 1 && Self.signature(refused)?["reasons"] as? [String] == ["revoked"], "\(refused.stdout)")
    }
}

enum CivilCalendarText {
    /// Today in Vietnam (UTC+7), `YYYY-MM-DD`.
    static func vietnamDay() -> String { isoDay(secondsFromNow: 7 * 3600) }

    /// `YYYY-MM-DD` of a day `seconds` from now (UTC).
    static func isoDay(secondsFromNow seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date(timeIntervalSinceNow: TimeInterval(seconds)))
    }
}
