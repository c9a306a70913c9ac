import Foundation
import Testing
import TrucCrypto
@testable import EdXML
@testable import TrucSignatures

enum SignatureFixtures {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    static let repo = tests.deletingLastPathComponent()
    static let trustDirectory = repo.appendingPathComponent("Certs/demo/trust").path

    static func path(_ name: String) -> String { tests.appendingPathComponent("Fixtures/signatures/\(name)").path }
    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    static let trust: TrustStore = {
        do { return try TrustStore(directory: trustDirectory) } catch { fatalError("demo trust store: \(error)") }
    }()

    static let verifier = SignatureVerifier(trust: trust)
    /// Now: inside every demo certificate's validity, and after the demo CRLs were issued.
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    static func verdict(_ name: String, verifier: SignatureVerifier = verifier, at time: Int64 = now) throws -> MessageVerdict {
        verifier.verify(try EdXMLReader.read(bytes(name)), at: time)
    }
}

/// Each fixture was made by an independent tool (xmlsec1, signxml, pyHanko); each broken one fails for
/// exactly one reason.
@Suite("Signature verdicts on independently made fixtures", .timeLimit(.minutes(30)))
struct SignatureFixtureTests {
    typealias Expected = (String, SignerKind, SignatureStatus, [String])

    static let cases: [(String, SignatureBucket, [Expected])] = [
        ("env-valid-inclusive.edxml", .both, [("envelope", .organisation, .valid, []), ("attachment:van-ban.pdf", .personal, .valid, []),
                                              ("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("env-valid-exclusive.edxml", .organisation, [("envelope", .organisation, .valid, [])]),
        // SHA-1 after its sunset (2014, the standard algorithm policy) with no earlier proof: undecided.
        ("env-valid-rsa-sha1.edxml", .indeterminate, [("envelope", .organisation, .indeterminate, ["weak-algorithm"])]),
        ("env-valid-id-reference.edxml", .organisation, [("envelope", .organisation, .valid, [])]),
        ("env-valid-ecdsa-signxml.edxml", .organisation, [("envelope", .organisation, .valid, [])]),
        ("env-valid-cid.edxml", .organisation, [("envelope", .organisation, .valid, [])]),
        // RSASSA-PSS: signxml (RFC 9231 sha256-rsa-MGF1) and pyHanko (prefer_pss), see make_pss_fixtures.py.
        ("env-pss-signxml.edxml", .organisation, [("envelope", .organisation, .valid, [])]),
        ("pdf-pss.edxml", .organisation, [("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("env-valid-personal.edxml", .personal, [("envelope", .personal, .valid, [])]),
        ("env-digest-mismatch.edxml", .invalid, [("envelope", .organisation, .invalid, ["digest-mismatch"]),
                                                 ("attachment:van-ban.pdf", .personal, .valid, []), ("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("env-signature-mismatch.edxml", .invalid, [("envelope", .organisation, .invalid, ["signature-mismatch"]),
                                                    ("attachment:van-ban.pdf", .personal, .valid, []), ("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("env-swapped-certificate.edxml", .invalid, [("envelope", .organisation, .invalid, ["signature-mismatch"]),
                                                     ("attachment:van-ban.pdf", .personal, .valid, []), ("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("env-untrusted.edxml", .invalid, [("envelope", .organisation, .invalid, ["untrusted-chain"])]),
        ("env-revoked.edxml", .invalid, [("envelope", .personal, .invalid, ["revoked"])]),
        ("env-expired.edxml", .invalid, [("envelope", .personal, .invalid, ["expired"])]),
        ("env-key-usage.edxml", .invalid, [("envelope", .organisation, .invalid, ["key-usage"])]),
        ("env-external-reference.edxml", .invalid, [("envelope", .unknown, .invalid, ["reference-not-allowed"]),
                                                    ("attachment:van-ban.pdf", .personal, .valid, []), ("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("env-wrapping.edxml", .invalid, [("envelope", .organisation, .invalid, ["malformed-signature"])]),
        ("env-duplicate-id.edxml", .invalid, [("envelope", .unknown, .invalid, ["malformed-signature"])]),
        ("pdf-both-zip.edxml", .both, [("attachment:van-ban.pdf", .personal, .valid, []), ("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("pdf-both-raw.edxml", .both, [("attachment:van-ban.pdf", .personal, .valid, []), ("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("pdf-personal.edxml", .personal, [("attachment:van-ban.pdf", .personal, .valid, [])]),
        ("pdf-organisation.edxml", .organisation, [("attachment:van-ban.pdf", .organisation, .valid, [])]),
        ("pdf-unsigned.edxml", .unsigned, []),
        ("pdf-tampered.edxml", .invalid, [("attachment:van-ban.pdf", .personal, .invalid, ["digest-mismatch"]),
                                          ("attachment:van-ban.pdf", .organisation, .invalid, ["digest-mismatch"])]),
        ("pdf-appended.edxml", .invalid, [("attachment:van-ban.pdf", .personal, .invalid, ["byte-range-incomplete"]),
                                          ("attachment:van-ban.pdf", .organisation, .invalid, ["byte-range-incomplete"])]),
        ("pdf-revoked.edxml", .invalid, [("attachment:van-ban.pdf", .personal, .invalid, ["revoked"])]),
        ("pdf-untrusted.edxml", .invalid, [("attachment:van-ban.pdf", .organisation, .invalid, ["untrusted-chain"])]),
        ("pdf-legacy-sha1.edxml", .indeterminate, [("attachment:van-ban.pdf", .personal, .indeterminate, ["weak-algorithm"])]),
    ]

    @Test("fixture verdicts", arguments: cases.map(\.0))
    func fixture(name: String) throws {
        let (_, bucket, expected) = try #require(Self.cases.first { $0.0 == name })
        let verdict = try SignatureFixtures.verdict(name)
        #expect(verdict.bucket == bucket)
        let actual = verdict.signatures.map { "\($0.location) \($0.kind.rawValue) \($0.status.rawValue) \($0.reasons.map(\.rawValue))" }
        let wanted = expected.map { "\($0.0) \($0.1.rawValue) \($0.2.rawValue) \($0.3)" }
        #expect(actual == wanted)
        #expect(verdict.invalid == verdict.signatures.contains { $0.status != .valid })
    }

    @Test("the signer is described from the certificate")
    func signerDescription() throws {
        let verdict = try SignatureFixtures.verdict("pdf-both-zip.edxml")
        let personal = try #require(verdict.signatures.first)
        #expect(personal.signer?.commonName == "Nguyễn Văn An")
        #expect(personal.signer?.identifier == "CCCD:001080000001")
        #expect(personal.signer?.issuer.contains("Truc Demo Signing CA") == true)
        #expect(personal.signingTime?.hasSuffix("Z") == true)
        #expect(personal.algorithm == "rsa-sha256")
        #expect(verdict.signed == .both)
    }

    @Test("the national samples' placeholder Signature is not a signature", arguments: ["edoc_new.edxml", "edoc_update.edxml", "status_finish_06.edxml"])
    func placeholder(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: SignatureFixtures.tests.appendingPathComponent("Fixtures/vpcp/\(name)")))
        let verdict = SignatureFixtures.verifier.verify(try EdXMLReader.read(bytes), at: SignatureFixtures.now)
        #expect(verdict.signatures.isEmpty && verdict.signed == .none && verdict.bucket == .unsigned && !verdict.invalid)
    }

    @Test("the policy can refuse SHA-1")
    func refuseSHA1() throws {
        let strict = SignatureVerifier(trust: SignatureFixtures.trust, policy: VerificationPolicy(refuseWeakAlgorithms: true))
        let verdict = try SignatureFixtures.verdict("env-valid-rsa-sha1.edxml", verifier: strict)
        #expect(verdict.signatures.map(\.status) == [.invalid])
        #expect(verdict.signatures.first?.reasons == [.weakAlgorithm])
    }

    @Test("SHA-1 is judged by the dated algorithm policy: acceptable when the signature is proven before the sunset, named with its date and source otherwise")
    func datedAlgorithmPolicy() throws {
        let standard = try SignatureFixtures.verdict("env-valid-rsa-sha1.edxml")
        let detail = try #require(standard.signatures.first?.detail)
        #expect(detail.contains("sha1") && detail.contains("2014-01-01") && detail.contains("NIST SP 800-131A"), "\(detail)")
        // A policy whose SHA-1 sunset is after the verification time: the same signature is valid, with a note.
        var lenient = VerificationPolicy()
        lenient.algorithms = try AlgorithmPolicy.read(Array(#"{"rules":[{"algorithm":"sha1","sunset":"2099-01-01","source":"test"}]}"#.utf8))
        let verdict = try SignatureFixtures.verdict("env-valid-rsa-sha1.edxml", verifier: SignatureVerifier(trust: SignatureFixtures.trust, policy: lenient))
        #expect(verdict.signatures.map(\.status) == [.valid] && verdict.bucket == .organisation)
        #expect(verdict.signatures.first?.notes?.contains { $0.contains("before sha1's sunset 2099-01-01") } == true, "\(verdict.signatures.first?.notes ?? [])")
        // Files that are not a policy are refused with what is wrong.
        #expect(throws: AlgorithmPolicyError.self) { try AlgorithmPolicy.read(Array(#"{"rules":[{"algorithm":"sha3","sunset":"2099-01-01","source":"x"}]}"#.utf8)) }
        #expect(throws: AlgorithmPolicyError.self) { try AlgorithmPolicy.read(Array(#"{"rules":[{"algorithm":"sha1","sunset":"2099-02-30","source":"x"}]}"#.utf8)) }
    }

    @Test("a signer without a CCCD/MST identifier is classified by the policy-OID map, or unknown")
    func policyClassification() throws {
        // The demo certificates carry identifiers, so the map is checked on the classifier directly.
        let pem = try Data(contentsOf: URL(fileURLWithPath: SignatureFixtures.repo.appendingPathComponent("Certs/demo/trust/root-ca.pem").path))
        let root = try #require(try Certificate.fromPEM([UInt8](pem)).first)
        #expect(SignerClassifier.kind(of: root, policy: VerificationPolicy()) == .unknown)
        let personal = try #require(try Certificate.fromPEM([UInt8](try Data(contentsOf: URL(fileURLWithPath:
            SignatureFixtures.repo.appendingPathComponent("Certs/demo/agencies/000.00.00.H41/personal.pem").path)))).first)
        #expect(SignerClassifier.kind(of: personal, policy: VerificationPolicy()) == .personal)
        #expect(personal.identifiers == ["CCCD:040085000002"])
        let policyOnly = try #require(try Certificate.fromPEM(try SignatureFixtures.bytes("pki/policy-signer.pem")).first)
        #expect(policyOnly.policyOIDs == ["1.3.6.1.4.1.99999.1.2"])
        #expect(SignerClassifier.kind(of: policyOnly, policy: VerificationPolicy()) == .unknown)
        #expect(SignerClassifier.kind(of: policyOnly, policy: VerificationPolicy(policyKinds: ["1.3.6.1.4.1.99999.1.2": .organisation])) == .organisation)
    }

    @Test("verification time: a valid signature at a time after the certificate expires")
    func verificationTime() throws {
        let verdict = try SignatureFixtures.verdict("env-valid-exclusive.edxml", at: 2_500_000_000) // 2049
        #expect(verdict.signatures.first?.reasons == [.expired])
    }

    @Test("an XPath transform is not allowed: indeterminate, never executed")
    func xpathTransform() throws {
        let text = String(decoding: try SignatureFixtures.bytes("env-valid-exclusive.edxml"), as: UTF8.self)
            .replacingAll("http://www.w3.org/2000/09/xmldsig#enveloped-signature", with: "http://www.w3.org/TR/1999/REC-xpath-19991116")
        let verdict = SignatureFixtures.verifier.verify(try EdXMLReader.read(Array(text.utf8)), at: SignatureFixtures.now)
        #expect(verdict.signatures.first?.reasons == [.unsupportedAlgorithm])
        #expect(verdict.signatures.first?.status == .indeterminate)
        #expect(verdict.bucket == .indeterminate)
    }

    @Test("requiring revocation data without CRLs makes a good signature indeterminate")
    func revocationRequired() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-trust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["root-ca.pem", "intermediate-ca.pem"] {
            try FileManager.default.copyItem(atPath: SignatureFixtures.trustDirectory + "/" + name, toPath: dir.appendingPathComponent(name).path)
        }
        let noCRL = try TrustStore(directory: dir.path, requireRevocationData: true)
        let verdict = try SignatureFixtures.verdict("env-valid-exclusive.edxml", verifier: SignatureVerifier(trust: noCRL))
        #expect(verdict.signatures.first?.reasons == [.revocationUnknown])
        #expect(verdict.bucket == .indeterminate)
        // without the policy, a missing CRL is not a problem, and the revoked certificate is not caught
        let lenient = try TrustStore(directory: dir.path)
        #expect(try SignatureFixtures.verdict("env-revoked.edxml", verifier: SignatureVerifier(trust: lenient)).signatures.first?.status == .valid)
    }

    @Test("one verifier is safe to share between threads")
    func concurrent() async throws {
        let bytes = try SignatureFixtures.bytes("env-valid-inclusive.edxml")
        try await withThrowingTaskGroup(of: SignatureBucket.self) { group in
            for _ in 0..<8 {
                group.addTask { SignatureFixtures.verifier.verify(try EdXMLReader.read(bytes), at: SignatureFixtures.now).bucket }
            }
            for try await bucket in group { #expect(bucket == .both) }
        }
    }
}
