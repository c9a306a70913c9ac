import Foundation
import Testing
import TrucCrypto
import TrucTestSupport
@testable import TrucSignatures

/// Every revocation source the hub holds is evidence: a revocation in any valid source wins over
/// "good" from another, whichever is asked first. Real CRLs made by `openssl ca` from the demo intermediate CA:
/// the demo's own (it lists Certs/demo/test/revoked.pem) and a clean one made here from an empty index.
@Suite("Revocation: a good answer never hides a revocation", .timeLimit(.minutes(30)))
struct RevocationSourcesTests {
    static let demo = SignatureFixtures.repo.appendingPathComponent("Certs/demo").path

    static func pem(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: demo + "/" + path))) }

    /// A CRL of the demo intermediate that revokes nothing, made by openssl ca from an empty index.
    static func cleanCRL() async throws -> [UInt8] {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("truc-crl-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work + "/issued", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: work + "/index.txt"))
        try Data("2000\n".utf8).write(to: URL(fileURLWithPath: work + "/crlnumber"))
        try Data("2000\n".utf8).write(to: URL(fileURLWithPath: work + "/serial"))
        // through Program: processes start one at a time in the test process (Foundation's Process.run() is not
        // safe to call from several threads at once)
        let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"),
                                  ["openssl", "ca", "-batch", "-config", demo + "/ca/openssl.cnf", "-gencrl",
                                   "-cert", demo + "/ca/intermediate/intermediate-ca.pem", "-keyfile", demo + "/ca/intermediate/intermediate-ca.key",
                                   "-out", work + "/clean.crl.pem"],
                                  environment: ["CA_DIR": work])
        #expect(run.exitCode == 0, "\(run.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: work + "/clean.crl.pem")))
    }

    static func der(_ pem: [UInt8]) throws -> [UInt8] { try CRL(bytes: pem).der }

    @Test("trust directory x embedded data: revoked in either is revoked, good in both is good")
    func offlineMatrix() async throws {
        let revoked = try Certificate.fromPEM(Self.pem("test/revoked.pem"))[0]
        let issuer = try Certificate.fromPEM(Self.pem("trust/intermediate-ca.pem"))[0]
        let root = try Certificate.fromPEM(Self.pem("trust/root-ca.pem"))[0]
        let listing = try Self.pem("trust/intermediate.crl.pem"), clean = try await Self.cleanCRL()
        func status(trust trustCRL: [UInt8]?, embedded embeddedCRL: [UInt8]?) throws -> RevocationStatus {
            let trust = try TrustStore(certificates: [root, issuer], crls: trustCRL.map { [$0] } ?? [])
            let embedded = EmbeddedRevocation(crls: try embeddedCRL.map { [try CRL(bytes: $0)] } ?? [])
            return OfflineRevocation().status(of: revoked, issuer: issuer, embedded: embedded, trust: trust, deadline: .now + .seconds(1))
        }
        func isRevoked(_ s: RevocationStatus) -> Bool { if case .revoked = s.state { true } else { false } }
        // the trust directory says good, the document's own data shows the revocation
        let fromEmbedded = try status(trust: clean, embedded: listing)
        #expect(isRevoked(fromEmbedded) && fromEmbedded.source?.hasPrefix("embedded crl") == true, "\(fromEmbedded)")
        #expect(fromEmbedded.detail?.contains("answered good") == true, "\(fromEmbedded)")
        // the operator's CRL shows it, the document carries an older "good"
        let fromFile = try status(trust: listing, embedded: clean)
        #expect(isRevoked(fromFile) && fromFile.source?.hasPrefix("file") == true, "\(fromFile)")
        let fileOnly = try status(trust: listing, embedded: nil), embeddedOnly = try status(trust: nil, embedded: listing)
        #expect(isRevoked(fileOnly) && isRevoked(embeddedOnly))
        let bothGood = try status(trust: clean, embedded: clean), none = try status(trust: nil, embedded: nil)
        #expect(bothGood.state == .good && none.state == .noSource)
    }

    @Test("combine: the earliest revocation wins over any number of good answers, in any order")
    func combine() {
        let good = RevocationStatus(.good, source: "ocsp http://127.0.0.1/ocsp")
        let late = RevocationStatus(.revoked(at: 2_000, reason: nil), source: "file CN=CA")
        let early = RevocationStatus(.revoked(at: 1_000, reason: "keyCompromise"), source: "crl http://127.0.0.1/ca.crl")
        for answers in [[good, late, early], [early, good, late], [late, early, good]] {
            let combined = RevocationStatus.combine(answers)
            #expect(combined?.state == .revoked(at: 1_000, reason: "keyCompromise") && combined?.source == early.source)
        }
        #expect(RevocationStatus.combine([good])?.state == .good && RevocationStatus.combine([]) == nil)
    }
}
