import Foundation
import Testing
import TrucTestSupport
import TrucSignatures

/// The oracles agree: what Truc accepts, xmlsec1 and pdfsig (poppler) accept; what Truc refuses for a
/// cryptographic reason, they refuse too. (They are run only where installed: `.ci/run` installs them.)
@Suite("Cross-check with xmlsec1 and pdfsig", .timeLimit(.minutes(30)))
struct CrossCheckTests {
    static func tool(_ name: String) -> String? {
        ["/usr/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ arguments: [String]) async throws -> (Int32, String) {
        let run = try await Program.run(URL(fileURLWithPath: tool), arguments)
        return (run.exitCode, run.stdout + run.stderr)
    }

    func xmlsec1(_ name: String) async throws -> Bool {
        let tool = try #require(Self.tool("xmlsec1"), "xmlsec1 is not installed")
        let trust = SignatureFixtures.trustDirectory
        let (status, _) = try await Self.run(tool, ["--verify", "--trusted-pem", trust + "/root-ca.pem", "--untrusted-pem", trust + "/intermediate-ca.pem",
                                              "--id-attr:Id", "edXMLEnvelope", SignatureFixtures.path(name)])
        return status == 0
    }

    @Test("xmlsec1 verifies the envelope signatures Truc accepts", .enabled(if: tool("xmlsec1") != nil), arguments: [
        "env-valid-inclusive.edxml", "env-valid-exclusive.edxml", "env-valid-id-reference.edxml",
        "env-valid-ecdsa-signxml.edxml", "env-valid-personal.edxml",
    ])
    func xmlsecAgreesValid(name: String) async throws {
        #expect(try await xmlsec1(name))
        #expect(try SignatureFixtures.verdict(name).signatures.first?.status == .valid)
    }

    @Test("an RSA-SHA1 envelope: xmlsec1 checks only the mathematics (valid); Truc's dated policy says indeterminate, weak-algorithm",
          .enabled(if: tool("xmlsec1") != nil))
    func sha1PastSunset() async throws {
        #expect(try await xmlsec1("env-valid-rsa-sha1.edxml"))
        let verdict = try SignatureFixtures.verdict("env-valid-rsa-sha1.edxml").signatures.first
        #expect(verdict?.status == .indeterminate && verdict?.reasons == [.weakAlgorithm])
    }

    @Test("xmlsec1 refuses what Truc refuses for a cryptographic or trust reason", .enabled(if: tool("xmlsec1") != nil), arguments: [
        "env-digest-mismatch.edxml", "env-signature-mismatch.edxml", "env-swapped-certificate.edxml", "env-untrusted.edxml",
        "env-expired.edxml", "env-external-reference.edxml",
    ])
    func xmlsecAgreesInvalid(name: String) async throws {
        #expect(try await !xmlsec1(name))
        #expect(try SignatureFixtures.verdict(name).signatures.first?.status == .invalid)
    }

    @Test("where xmlsec1 is weaker, Truc is stricter: revocation, key usage, wrapping, duplicate IDs", .enabled(if: tool("xmlsec1") != nil), arguments: [
        "env-revoked.edxml", "env-key-usage.edxml", "env-wrapping.edxml", "env-duplicate-id.edxml",
    ])
    func trucStricter(name: String) async throws {
        #expect(try await xmlsec1(name), "xmlsec1 (no CRL, no key-usage or coverage rule) accepts it")
        #expect(try SignatureFixtures.verdict(name).signatures.first?.status == .invalid)
    }

    @Test("pdfsig agrees on the PDF signatures", .enabled(if: tool("pdfsig") != nil), arguments: [
        ("pdf-both.pdf", "Signature is Valid."), ("pdf-personal.pdf", "Signature is Valid."), ("pdf-tampered.pdf", "Digest Mismatch."), ("pdf-legacy-sha1.pdf", "Signature is Valid."),
    ])
    func pdfsig(name: String, expected: String) async throws {
        let tool = try #require(Self.tool("pdfsig"))
        let (_, output) = try await Self.run(tool, ["-nocert", SignatureFixtures.path(name)])
        let validations = output.split(separator: "\n").filter { $0.contains("Signature Validation:") }
        #expect(!validations.isEmpty)
        #expect(validations.allSatisfy { $0.contains(expected) }, "\(output)")
    }
}
