import Foundation
import Testing
import TrucTestSupport

/// A hub started with no flags trusts no key that is in the repository: it makes its own PKI, and a
/// certificate minted with the committed demo CA keys (which anyone can read) proves nothing to it.
@Suite("Fail closed: a fresh hub trusts no published key", .timeLimit(.minutes(30)))
struct FailClosedTests {
    static let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
    static let demo = repo.appendingPathComponent("Certs/demo").path

    static func run(_ program: String, _ arguments: [String]) async throws -> TrucRun {
        try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), [program] + arguments)
    }

    /// An unsigned document of G22 signed on its envelope by `key`/`cert` with the xmlsec1 CLI.
    static func signed(key: String, cert: String, in dir: String) async throws -> String {
        let template = try String(contentsOfFile: CLIFixtures.path("signatures/pdf-unsigned.edxml"), encoding: .utf8)
        let signature = """
            <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>\
            <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>\
            <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="">\
            <ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>\
            <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>\
            <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference>\
            </ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>
            """
        let input = dir + "/unsigned-\(UUID().uuidString).xml", output = dir + "/signed-\(UUID().uuidString).edxml"
        try template.replacingOccurrences(of: "</edXML:edXMLHeader>", with: signature + "</edXML:edXMLHeader>")
            .write(toFile: input, atomically: true, encoding: .utf8)
        let run = try await run("xmlsec1", ["--sign", "--privkey-pem", "\(key),\(cert)", "--output", output, input])
        #expect(run.exitCode == 0, "xmlsec1: \(run.stderr)")
        return output
    }

    @Test("truc serve with no flags makes its own PKI; a certificate minted with the demo CA key signs nothing and authenticates no one",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1") && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
                   && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")))
    func freshPKI() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("truc-failclosed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let server = try await HubEndToEndTests.Server(keepLog: true, demoPKI: false)
        defer { server.discard() }
        let pki = server.data + "/pki"
        let ca = pki + "/trust/root-ca.pem"
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: ca) { try await Task.sleep(for: .milliseconds(100)) }
        try await server.waitUntilReady(ca: ca)
        let hub = "https://127.0.0.1:\(server.port)"
        let log = try String(contentsOf: try #require(server.log), encoding: .utf8)
        #expect(log.contains("made a PKI for this installation") && log.contains(ca), "\(log)")
        #expect(log.contains("SIGNATURES ARE VERIFIED AGAINST A DEMO OR SELF-MADE CA"))
        // Keys are the installation's own: 0600, and not the committed ones.
        let attributes = try FileManager.default.attributesOfItem(atPath: pki + "/ca/root-ca.key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: ca)) != Data(contentsOf: URL(fileURLWithPath: Self.demo + "/trust/root-ca.pem")))
        // The hub's TLS certificate chains to the new CA, not to the demo one.
        #expect(try await Self.run("curl", ["-sf", "--cacert", ca, hub + "/healthz"]).exitCode == 0)
        #expect(try await Self.run("curl", ["-sf", "--cacert", Self.demo + "/trust/root-ca.pem", hub + "/healthz"]).exitCode != 0)

        // A certificate anyone can mint with the committed demo intermediate key, UID=MST of G22.
        let mintedKey = work + "/minted.key", mintedCSR = work + "/minted.csr", minted = work + "/minted.pem"
        #expect(try await Self.run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", mintedKey]).exitCode == 0)
        #expect(try await Self.run("openssl", ["req", "-new", "-key", mintedKey, "-subj", "/C=VN/O=Forged/CN=Forged/UID=MST:0100100001", "-out", mintedCSR]).exitCode == 0)
        let ext = work + "/ext.cnf"
        try "keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=clientAuth,emailProtection\n".write(toFile: ext, atomically: true, encoding: .utf8)
        let issued = try await Self.run("openssl", ["x509", "-req", "-in", mintedCSR, "-CA", Self.demo + "/ca/intermediate/intermediate-ca.pem",
                                              "-CAkey", Self.demo + "/ca/intermediate/intermediate-ca.key", "-CAserial", work + "/minted.srl", "-CAcreateserial", "-days", "30",
                                              "-extfile", ext, "-out", minted])
        #expect(issued.exitCode == 0, "\(issued.stderr)")
        let mintedChain = work + "/minted.chain.pem"
        try (String(contentsOfFile: minted, encoding: .utf8) + String(contentsOfFile: Self.demo + "/ca/intermediate/intermediate-ca.pem", encoding: .utf8))
            .write(toFile: mintedChain, atomically: true, encoding: .utf8)

        let g22 = try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (code, name) in [("000.00.00.H14", "UBND Tỉnh Cao Bằng"), ("000.00.00.G17", "Bộ Thông tin")] {
            #expect(try await TrucRun.run(["agencies", "add", code, "--name", name, "--data", server.data]).exitCode == 0)
        }
        // Signed with the minted certificate: refused as an invalid signature (untrusted chain).
        let forged = try await Self.signed(key: mintedKey, cert: mintedChain, in: work)
        let refused = try await TrucRun.run(["send", forged, "--hub", hub, "--ca", ca, "--token", g22])
        #expect(refused.exitCode == 1 && refused.stdout.contains("invalid-signature"), "\(refused.stdout)\(refused.stderr)")
        // As a TLS client certificate: no agency is authenticated by it.
        let asClient = try await Self.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca, "--cert", mintedChain, "--key", mintedKey,
                                             hub + "/v1/inbox"])
        #expect(!asClient.stdout.hasPrefix("2"), "minted client certificate: \(asClient.stdout)")

        // Signed with the organisation key this hub made for G22 (xmlsec1, an independent signer): valid.
        let agency = pki + "/agencies/000.00.00.G22"
        let genuine = try await Self.signed(key: agency + "/organisation.key", cert: agency + "/organisation.chain.pem", in: work)
        let accepted = try await TrucRun.run(["send", genuine, "--hub", hub, "--ca", ca, "--token", g22])
        #expect(accepted.exitCode == 0, "\(accepted.stdout)\(accepted.stderr)")
        #expect((accepted.json?["signature"] as? [String: Any])?["bucket"] as? String == "organisation", "\(accepted.stdout)")
        // The agency's own certificate authenticates it over TLS.
        let inbox = try await Self.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca,
                                          "--cert", agency + "/organisation.chain.pem", "--key", agency + "/organisation.key", hub + "/v1/inbox"])
        #expect(inbox.stdout == "200", "\(inbox.stdout)")

        // A restart keeps the same PKI.
        let rootBefore = try Data(contentsOf: URL(fileURLWithPath: ca))
        #expect(await server.stop(keepData: true) == 0)
        let again = try await HubEndToEndTests.Server(demoPKI: false, data: server.data)
        defer { again.discard() }
        try await again.waitUntilReady(ca: ca)
        #expect(try Data(contentsOf: URL(fileURLWithPath: ca)) == rootBefore)
    }

    @Test("--demo-pki says loudly that its keys are public")
    func demoWarning() async throws {
        let server = try await HubEndToEndTests.Server(keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let log = try String(contentsOf: try #require(server.log), encoding: .utf8)
        #expect(log.contains("USING THE DEMO PKI OF Certs/demo: ITS PRIVATE KEYS ARE PUBLIC"), "\(log)")
        #expect(log.contains("SIGNATURES ARE VERIFIED AGAINST A DEMO OR SELF-MADE CA"))
    }
}
