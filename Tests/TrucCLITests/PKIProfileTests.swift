import Foundation
import Testing
import TrucTestSupport

/// Signer certificates shaped like the real PKI's, made at test time with openssl and xmlsec1
/// (`Tests/Fixtures/signatures/make_pki_profiles.py`), through `truc verify`.
@Suite("Real PKI shapes: extended key usage, cross-certified CAs",
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1") && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")), .timeLimit(.minutes(30)))
struct PKIProfileTests {
    static let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    /// The documents of `make_pki_profiles.py`, made once into a fresh folder.
    static func profiles() async throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("truc-profiles-\(UUID().uuidString)").path
        let made = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", repo.appendingPathComponent("Tests/Fixtures/signatures/make_pki_profiles.py").path, out])
        #expect(made.exitCode == 0, "\(made.stderr)")
        return out
    }

    static func verdict(_ file: String) async throws -> [String: Any] {
        let run = try await TrucRun.run(["verify", file, "--trust", repo.appendingPathComponent("Certs/demo/trust").path, "--json"])
        return try #require(((run.json?["signatures"] as? [[String: Any]])?.first), "\(run.stdout)\(run.stderr)")
    }

    @Test("a signer whose extendedKeyUsage is serverAuth only cannot sign a document: invalid, key-usage, the purpose named")
    func serverAuthOnly() async throws {
        let dir = try await Self.profiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v = try await Self.verdict(dir + "/eku-server-only.edxml")
        #expect(v["status"] as? String == "invalid" && v["reasons"] as? [String] == ["key-usage"], "\(v)")
        #expect((v["detail"] as? String)?.contains("serverAuth") == true, "\(v)")
        // The set is the operator's to change: allowing serverAuth (1.3.6.1.5.5.7.3.1) makes it valid; a malformed OID is refused.
        let allowed = try await TrucRun.run(["verify", dir + "/eku-server-only.edxml", "--trust", Self.repo.appendingPathComponent("Certs/demo/trust").path,
                                       "--signing-eku", "1.3.6.1.5.5.7.3.1", "--json"])
        #expect((allowed.json?["signatures"] as? [[String: Any]])?.first?["status"] as? String == "valid", "\(allowed.stdout)")
        let bad = try await TrucRun.run(["verify", dir + "/eku-server-only.edxml", "--signing-eku", "serverAuth"])
        #expect(bad.exitCode == 2 && bad.stderr.contains("not a dotted OID"), "\(bad.stderr)")
    }

    @Test("a CA carried self-signed or under an untrusted root, and cross-certified by a trusted root: the path through the cross-certificate is found")
    func crossCertified() async throws {
        let dir = try await Self.profiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // OpenSSL alone stops at the first candidate issuer (what Truc did before): the same certificates fail.
        let naive = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/openssl"), [
            "verify", "-CAfile", Self.repo.appendingPathComponent("Certs/demo/trust/root-ca.pem").path,
            "-untrusted", dir + "/ca-x-self.pem", "-untrusted", dir + "/ca-x-cross.pem", dir + "/cross-signer.pem"])
        #expect(naive.exitCode != 0 && (naive.stdout + naive.stderr).contains("self-signed certificate in certificate chain"), "\(naive.stdout)\(naive.stderr)")
        for name in ["cross-self-first", "cross-untrusted-root"] {
            let v = try await Self.verdict(dir + "/\(name).edxml")
            #expect(v["status"] as? String == "valid" && (v["reasons"] as? [String])?.isEmpty == true, "\(name): \(v)")
            // The verdict names the anchor the path reached: the demo root, through the cross-certificate (3 certificates).
            let anchor = v["anchor"] as? [String: Any]
            #expect((anchor?["subject"] as? String)?.contains("Truc Demo Root CA") == true && anchor?["path"] as? Int == 3, "\(name): \(v)")
        }
    }

    @Test("truc trust lists the directory with its snapshot id (the one truc verify's verdicts carry) and warns about what will fail")
    func trustListing() async throws {
        let demo = Self.repo.appendingPathComponent("Certs/demo/trust").path
        let listed = try await TrucRun.run(["trust", "--trust", demo, "--json"])
        #expect(listed.exitCode == 0, "\(listed.stdout)\(listed.stderr)")
        let certificates = listed.json?["certificates"] as? [[String: Any]] ?? []
        #expect(certificates.map { $0["role"] as? String } == ["anchor", "intermediate"] && certificates.allSatisfy { $0["crl"] as? Bool == true })
        let snapshot = try #require(listed.json?["snapshot"] as? String)
        let verified = try await TrucRun.run(["verify", CLIFixtures.path("signatures/env-valid-exclusive.edxml"), "--trust", demo, "--json"])
        #expect(verified.json?["trustSnapshot"] as? String == snapshot)
        // Another policy is another snapshot: a verdict says which policy judged it.
        let other = try await TrucRun.run(["trust", "--trust", demo, "--signing-eku", "1.3.6.1.5.5.7.3.4", "--json"])
        #expect(other.json?["snapshot"] as? String != snapshot)
        // Without its CRLs, a directory that must have revocation data warns for each CA, and exits 1.
        let bare = FileManager.default.temporaryDirectory.appendingPathComponent("truc-trust-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: bare, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bare) }
        for name in ["root-ca.pem", "intermediate-ca.pem"] { try FileManager.default.copyItem(atPath: demo + "/" + name, toPath: bare + "/" + name) }
        let warned = try await TrucRun.run(["trust", "--trust", bare, "--require-revocation"])
        #expect(warned.exitCode == 1 && warned.stdout.components(separatedBy: "has no CRL in the directory").count == 3, "\(warned.stdout)")
        #expect(try await TrucRun.run(["trust", "--trust", bare]).exitCode == 0, "CRLs are not required without --require-revocation")
    }

    @Test("a CA certificate signed with SHA-1: indeterminate (weak-algorithm) naming the CA, the date and the source; valid under a policy file whose sunset is later")
    func sha1CA() async throws {
        let dir = try await Self.profiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v = try await Self.verdict(dir + "/sha1-ca.edxml")
        #expect(v["status"] as? String == "indeterminate" && v["reasons"] as? [String] == ["weak-algorithm"], "\(v)")
        #expect((v["detail"] as? String)?.contains("VNPT Certification Authority (SHA-1)") == true && (v["detail"] as? String)?.contains("2014-01-01") == true, "\(v)")
        let policy = dir + "/policy.json"
        try Data(#"{"rules":[{"algorithm":"sha1","sunset":"2099-01-01","source":"a ministry's transition rule"}]}"#.utf8).write(to: URL(fileURLWithPath: policy))
        let lenient = try await TrucRun.run(["verify", dir + "/sha1-ca.edxml", "--trust", Self.repo.appendingPathComponent("Certs/demo/trust").path,
                                       "--algorithm-policy", policy, "--json"])
        #expect((lenient.json?["signatures"] as? [[String: Any]])?.first?["status"] as? String == "valid", "\(lenient.stdout)")
        let broken = dir + "/broken.json"
        try Data(#"{"rules":[{"algorithm":"sha1","sunset":"soon"}]}"#.utf8).write(to: URL(fileURLWithPath: broken))
        let refused = try await TrucRun.run(["verify", dir + "/sha1-ca.edxml", "--algorithm-policy", broken])
        #expect(refused.exitCode == 2 && refused.stderr.contains("--algorithm-policy"), "\(refused.stderr)")
    }

    @Test("PAdES B-LT with two signatures whose last update extends the same DSS (pyHanko, as Acrobat does): both valid, revocation from the DSS",
          .enabled { await pythonImports("pyhanko") })
    func dssExtendedAfterSecondSignature() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-dss-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The script asks pyHanko's validator first: both intact and valid, modification levels as ISO 32000-2 allows.
        let made = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", Self.repo.appendingPathComponent("Tests/Fixtures/signatures/make_dss_extension.py").path, dir])
        #expect(made.exitCode == 0, "\(made.stderr)")
        let run = try await TrucRun.run(["verify", dir + "/pdf-dss-extended.edxml", "--trust", dir + "/trust", "--revocation", "offline", "--json"])
        let signatures = run.json?["signatures"] as? [[String: Any]] ?? []
        #expect(signatures.count == 2 && signatures.allSatisfy { $0["status"] as? String == "valid" } && run.json?["bucket"] as? String == "both",
                "\(run.stdout.prefix(3000))")
        #expect(signatures.allSatisfy { (($0["revocation"] as? [String: Any])?["source"] as? String)?.hasPrefix("embedded crl") == true })
    }

    @Test("a CRL is evidence only within its scope: onlyContainsUserCerts covers a signer; onlyContainsCACerts or a delta CRL without its base says nothing (revocation-unknown); a delta over a stale base is a current list")
    func crlScopes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-crl-scopes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", Self.repo.appendingPathComponent("Tests/Fixtures/signatures/make_crl_scopes.py").path, dir])
        #expect(made.exitCode == 0, "\(made.stderr)")
        func verdict(_ scope: String) async throws -> [String: Any] {
            let run = try await TrucRun.run(["verify", CLIFixtures.path("signatures/env-valid-exclusive.edxml"), "--trust", dir + "/" + scope,
                                       "--revocation", "offline", "--json"])
            return try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)\(run.stderr)")
        }
        #expect(try await verdict("user-only")["status"] as? String == "valid")
        // A stale complete CRL with a current delta over it is a current list; the delta over another number is not.
        let stacked = try await verdict("delta-stale-base")
        #expect(stacked["status"] as? String == "valid"
                && ((stacked["revocation"] as? [String: Any])?["source"] as? String)?.hasSuffix("(delta 7 over base 6)") == true, "\(stacked)")
        // truc trust agrees: the stale complete CRL serves under its delta; a delta over another number is a warning.
        #expect(try await TrucRun.run(["trust", "--trust", dir + "/delta-stale-base"]).exitCode == 0)
        let lonely = try await TrucRun.run(["trust", "--trust", dir + "/delta-wrong-base"])
        #expect(lonely.exitCode == 1 && lonely.stdout.contains("delta CRL 7 over 6") && lonely.stdout.contains("proves revocations only"), "\(lonely.stdout)")
        for (scope, words) in [("ca-only", "CA certificates only"), ("delta-only", "delta CRL"), ("delta-wrong-base", "no complete CRL it applies to (number 6 or later)")] {
            let v = try await verdict(scope)
            #expect(v["status"] as? String == "indeterminate" && v["reasons"] as? [String] == ["revocation-unknown"]
                    && (v["detail"] as? String)?.contains(words) == true, "\(scope): \(v)")
        }
    }

    @Test("real key and identity shapes: ECDSA P-384 with the government policy OID (CCCD:), RSA-4096 with rsa-sha512 (MST:), a BHXH: social-insurance identity: valid, classified")
    func realShapes() async throws {
        let dir = try await Self.profiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, kind, algorithm) in [("personal-p384", "personal", "ecdsa-sha384"), ("organisation-rsa4096", "organisation", "rsa-sha512"),
                                        ("personal-bhxh", "personal", "rsa-sha256")] {
            let v = try await Self.verdict(dir + "/\(name).edxml")
            #expect(v["status"] as? String == "valid" && v["kind"] as? String == kind && v["algorithm"] as? String == algorithm, "\(name): \(v)")
        }
    }

    @Test("a trust profile (trust.json): the anchor's role in each verdict; a required policy refuses a signer without it; a profile naming a missing anchor is refused")
    func trustProfile() async throws {
        let dir = try await Self.profiles()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trust = dir + "/profiled-trust"
        try FileManager.default.copyItem(atPath: Self.repo.appendingPathComponent("Certs/demo/trust").path, toPath: trust)
        let root = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/openssl"), ["x509", "-in", trust + "/root-ca.pem", "-noout", "-fingerprint", "-sha256"])
        let sha256 = root.stdout.split(separator: "=").last.map { $0.filter(\.isHexDigit).lowercased() } ?? ""
        try Data(#"{"anchors":[{"sha256":"\#(sha256)","role":"government","policies":["2.16.704.1.1.1.1.1"]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: trust + "/trust.json"))
        func verdict(_ name: String) async throws -> [String: Any] {
            let run = try await TrucRun.run(["verify", dir + "/\(name).edxml", "--trust", trust, "--json"])
            return try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)\(run.stderr)")
        }
        let withPolicy = try await verdict("personal-p384")
        #expect(withPolicy["status"] as? String == "valid" && (withPolicy["anchor"] as? [String: Any])?["role"] as? String == "government", "\(withPolicy)")
        let without = try await verdict("organisation-rsa4096")
        #expect(without["status"] as? String == "invalid" && without["reasons"] as? [String] == ["untrusted-chain"]
                && (without["detail"] as? String)?.contains("2.16.704.1.1.1.1.1") == true, "\(without)")
        // The same through a running hub given that trust directory (its profile read with it).
        let hub = try await HubEndToEndTests.Server(["--trust", trust])
        defer { hub.discard() }
        try await hub.waitUntilReady()
        let token = try await hub.senderToken()
        let accepted = try await TrucRun.run(["send", dir + "/personal-p384.edxml", "--hub", "https://127.0.0.1:\(hub.port)", "--token", token, "--json"])
        let signature = ((accepted.json?["signature"] as? [String: Any])?["signatures"] as? [[String: Any]])?.first
        #expect(accepted.exitCode == 0 && (signature?["anchor"] as? [String: Any])?["role"] as? String == "government", "\(accepted.stdout)\(accepted.stderr)")
        let listed = try await TrucRun.run(["trust", "--trust", trust])
        #expect(listed.stdout.contains("anchor (government)") && listed.stdout.contains("signers must carry policy 2.16.704.1.1.1.1.1"), "\(listed.stdout)")
        try Data(#"{"anchors":[{"sha256":"\#(String(repeating: "0", count: 64))","role":"public"}]}"#.utf8).write(to: URL(fileURLWithPath: trust + "/trust.json"))
        let refused = try await TrucRun.run(["verify", dir + "/personal-p384.edxml", "--trust", trust])
        #expect(refused.exitCode == 2 && refused.stderr.contains("not a self-signed certificate of the directory"), "\(refused.stderr)")
    }
}
