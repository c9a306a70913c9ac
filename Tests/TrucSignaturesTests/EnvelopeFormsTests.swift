import Foundation
import Testing
import TrucCrypto
import TrucSignatures
import EdXML

/// The envelope forms real signing tools produce (`Tests/Fixtures/signatures/make_xades_fixtures.py`: xmlsec1
/// and signxml, each valid fixture verified by them): an organisation and a personal signature side by side
/// with XPath Filter 2.0, XAdES-BES signing-certificate commitments, countersignatures nested in `ds:Object`.
@Suite("Envelope forms: XPath Filter 2.0, XAdES, nested signatures", .timeLimit(.minutes(30)))
struct EnvelopeFormsTests {
    typealias Row = (location: String, kind: SignerKind, status: SignatureStatus, reasons: [SignatureReason])

    static func rows(_ name: String) throws -> [Row] {
        try SignatureFixtures.verdict(name).signatures.map { ($0.location, $0.kind, $0.status, $0.reasons) }
    }

    static func verdicts(text: String) throws -> [SignatureVerdict] {
        SignatureFixtures.verifier.verify(try EdXMLReader.read(Array(text.utf8)), at: SignatureFixtures.now).signatures
    }

    @Test("an organisation and a personal signature, each subtracting the signatures: both valid")
    func twoSignatures() throws {
        let rows = try Self.rows("env-two-filter2.edxml")
        #expect(rows.map(\.kind) == [.organisation, .personal] && rows.allSatisfy { $0.status == .valid && $0.reasons.isEmpty }, "\(rows)")
        #expect(try SignatureFixtures.verdict("env-two-filter2.edxml").bucket == .both)
        // The subject changed: the filter protects nothing else, both break.
        let tampered = try Self.rows("env-two-filter2-tampered.edxml")
        #expect(tampered.count == 2 && tampered.allSatisfy { $0.reasons == [.digestMismatch] }, "\(tampered)")
        // Why the filter: two plain enveloped signatures, the first is broken by the second.
        let plain = try Self.rows("env-two-enveloped.edxml")
        #expect(plain.map(\.reasons) == [[.digestMismatch], []], "\(plain)")
    }

    /// After signing, markup wrapped in <ds:Signature> inside MessageHeader — a forged Subject before the
    /// real one — was subtracted by `//ds:Signature` like a real signature, so both signatures stayed valid.
    @Test("a ds:Signature wrapper added after signing is content, not a signature: both signatures refuse it")
    func signatureWrapper() throws {
        let text = String(decoding: try SignatureFixtures.bytes("env-two-filter2.edxml"), as: UTF8.self)
        let subject = "<edXML:Subject>"
        #expect(text.contains(subject))
        let forged = "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><edXML:Subject>Phê duyệt kinh phí 900 tỷ đồng</edXML:Subject></ds:Signature>"
        // bare, and dressed up with an empty SignedInfo and SignatureValue: neither is a signature of the envelope
        let dressed = "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo/><ds:SignatureValue>AA==</ds:SignatureValue><edXML:Subject>Phê duyệt kinh phí 900 tỷ đồng</edXML:Subject></ds:Signature>"
        for wrapper in [forged, dressed] {
            let attacked = text.replacingOccurrences(of: subject, with: wrapper + subject, options: [], range: text.range(of: subject))
            let verdicts = try Self.verdicts(text: attacked)
            #expect(verdicts.count >= 2 && verdicts.prefix(2).allSatisfy { $0.status == .invalid && $0.reasons.contains(.malformedSignature) }, "\(verdicts)")
            #expect(verdicts.first?.detail?.contains("not a signature of the envelope") == true, "\(verdicts.first?.detail ?? "")")
        }
    }

    /// Garbage signatures, each with 30 `Reference URI=""`, made the hub canonicalise the whole
    /// envelope 30 times per signature before any key was looked at.
    @Test("garbage signatures: a bad value is found before any reference is digested; more than 8 signatures is too complex")
    func signatureBombs() throws {
        let text = String(decoding: try SignatureFixtures.bytes("env-valid-inclusive.edxml"), as: UTF8.self)
        let reference = "<ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>"
        let start = try #require(text.range(of: "<ds:Signature xmlns:ds="))
        let end = try #require(text.range(of: "</ds:Signature>"))
        let real = String(text[start.lowerBound..<end.upperBound])
        let info = try #require(real.range(of: "<ds:SignedInfo>")).upperBound
        let method = try #require(real.range(of: "<ds:Reference")).lowerBound
        // the real signature with 30 more references and its SignatureValue kept: it no longer verifies
        let garbage = real[..<method] + String(repeating: reference, count: 29) + real[method...]
        #expect(real[info...].contains("SignatureMethod"))
        let one = try Self.verdicts(text: text.replacingOccurrences(of: real, with: String(garbage)))
        #expect(one.first?.reasons == [.signatureMismatch], "\(one)")
        // nine signatures: refused before any is verified
        let many = text.replacingOccurrences(of: real, with: String(repeating: String(garbage), count: 9))
        let (verdict, findings) = SignatureFixtures.verifier.verifyReportingAttachments(try EdXMLReader.read(Array(many.utf8)), at: SignatureFixtures.now)
        #expect(verdict.signatures.isEmpty && findings.map(\.code) == [.tooComplex], "\(findings)")
    }

    @Test("a filter may subtract only signatures, and only subtract")
    func filterLimits() throws {
        let content = try SignatureFixtures.verdict("env-filter2-content.edxml").signatures
        #expect(content.first?.reasons == [.malformedSignature] && content.first?.detail?.contains("MessageHeader") == true, "\(content)")
        #expect(try Self.rows("env-filter2-intersect.edxml").first?.reasons == [.unsupportedAlgorithm])
    }

    @Test("hostile XPath: a costly expression, an unknown function or prefix, a non-element result, a huge expression")
    func hostileXPath() throws {
        let text = String(decoding: try SignatureFixtures.bytes("env-two-filter2.edxml"), as: UTF8.self)
        let original = "Filter=\"subtract\">//ds:Signature</"
        #expect(text.contains(original))
        func detail(_ expression: String) throws -> (SignatureReason?, String?) {
            let escaped = expression.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            let first = try #require(try Self.verdicts(text: text.replacingOccurrences(of: original, with: "Filter=\"subtract\">\(escaped)</")).first)
            return (first.reasons.first, first.detail)
        }
        let started = ContinuousClock.now
        // every element against every element against every element: stopped by the operation limit
        let costly = try detail("//*[count(//*[count(//*) > 1]) > 1]")
        #expect(costly.0 == .malformedSignature && costly.1?.contains("XPath") == true, "\(costly)")
        #expect(ContinuousClock.now - started < .seconds(20))
        for expression in ["here()/ancestor::ds:Signature[1]", "//evil:Signature", "//ds:Signature/@Id", "//text()", "count(//*)", "document('http://192.0.2.1/x')", "//ds:Signature[", String(repeating: "/", count: 5000)] {
            let (reason, message) = try detail(expression)
            #expect(reason == .malformedSignature, "\(expression): \(String(describing: reason)) \(message ?? "")")
        }
    }

    @Test("XAdES-BES: the signed signing-certificate digest must be the signer's")
    func xades() throws {
        let good = try Self.rows("env-xades-signxml.edxml")
        #expect(good.count == 1 && good[0].status == .valid && good[0].kind == .organisation, "\(good)")
        let wrong = try SignatureFixtures.verdict("env-xades-wrong-cert.edxml").signatures
        #expect(wrong.first?.reasons == [.signingCertificateMismatch] && wrong.first?.status == .invalid, "\(wrong)")
    }

    @Test("xmlsec1 agrees, signature by signature", .enabled(if: CrossCheckTests.tool("xmlsec1") != nil), arguments: [
        ("env-two-filter2.edxml", "sig-org", true), ("env-two-filter2.edxml", "sig-personal", true),
        ("env-two-filter2-tampered.edxml", "sig-org", false), ("env-two-enveloped.edxml", "sig-org", false),
        ("env-countersigned.edxml", "sig-org", true), ("env-countersigned.edxml", "sig-counter", true),
    ])
    func xmlsec1(name: String, node: String, valid: Bool) async throws {
        let tool = try #require(CrossCheckTests.tool("xmlsec1"))
        let trust = SignatureFixtures.trustDirectory
        let (status, _) = try await CrossCheckTests.run(tool, ["--verify", "--trusted-pem", trust + "/root-ca.pem", "--untrusted-pem", trust + "/intermediate-ca.pem",
                                                         "--node-id", node, "--id-attr:Id", "Signature", "--id-attr:Id", "SignatureValue",
                                                         "--id-attr:Id", "Object", SignatureFixtures.path(name)])
        #expect((status == 0) == valid)
    }

    @Test("a countersignature in the ds:Object is found, verified and counted; an unrelated nested one is malformed")
    func nested() throws {
        let rows = try Self.rows("env-countersigned.edxml")
        #expect(rows.map(\.location) == ["envelope", "envelope/nested"] && rows.allSatisfy { $0.status == .valid }, "\(rows)")
        #expect(try SignatureFixtures.verdict("env-countersigned.edxml").bucket == .both)
        let unrelated = try Self.rows("env-nested-unrelated.edxml")
        #expect(unrelated.count == 2 && unrelated[0].status == .valid && unrelated[1].reasons == [.malformedSignature], "\(unrelated)")
    }
}
