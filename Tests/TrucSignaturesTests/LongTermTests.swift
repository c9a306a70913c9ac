import Foundation
import Testing
import TrucCrypto
import TrucSignatures
import EdXML

/// PAdES long-term validation: the Document Security Store, DSS-only incremental updates and document
/// time-stamps, on PDFs made by pyHanko (`add_validation_info`, `PdfTimeStamper`) and qpdf
/// (`Tests/Fixtures/signatures/make_ltv_fixtures.py`; pyHanko's validator cross-checks each: signature intact,
/// modification level, document time-stamp). The trust directory holds only the LTV CA: no CRL file, and the
/// signers' CRL distribution point is served by nobody, so only the document can answer revocation.
@Suite("Long-term validation: DSS, DSS-only updates, document time-stamps", .timeLimit(.minutes(30)))
struct LongTermTests {
    static let ltv = SignatureFixtures.path("pki/ltv")
    static func verifier(_ policy: VerificationPolicy = VerificationPolicy()) throws -> SignatureVerifier {
        SignatureVerifier(trust: try TrustStore(directory: ltv + "/trust"), policy: policy)
    }
    static let strict = VerificationPolicy(requireRevocationData: true)

    static func pdf(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: ltv + "/" + name + ".pdf"))) }

    static func verdict(_ name: String, policy: VerificationPolicy = strict) throws -> SignatureVerdict {
        let message = try EdXMLReader.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: ltv + "/" + name + ".edxml"))))
        let verdicts = try verifier(policy).verify(message, at: SignatureFixtures.now).signatures
        #expect(verdicts.count == 1, "a document time-stamp is not a signature: \(verdicts)")
        return try #require(verdicts.first)
    }

    @Test("B-LT: the CRL in the DSS answers revocation, and the DSS-only update leaves the signature whole")
    func dss() throws {
        for name in ["pdf-lt-dss", "pdf-lt-dss-objstm"] {
            let v = try Self.verdict(name)
            #expect(v.status == .valid && v.reasons.isEmpty, "\(name): \(v)")
            #expect(v.revocation?.status == "good" && v.revocation?.source?.hasPrefix("embedded crl CN=Truc LTV Root CA") == true, "\(name): \(String(describing: v.revocation))")
        }
        // The same signature without the DSS: nothing answers, and this policy requires an answer.
        let bare = try Self.verdict("pdf-lt-no-dss")
        #expect(bare.status == .indeterminate && bare.reasons == [.revocationUnknown], "\(bare)")
    }

    @Test("anything besides validation data after the last signature is an unsigned change")
    func unsignedChanges() throws {
        let catalog = try Self.verdict("pdf-lt-dss-and-change")
        #expect(catalog.reasons.contains(.byteRangeIncomplete) && catalog.status == .invalid, "\(catalog)")
        #expect(catalog.detail?.contains("/OpenAction") == true, "\(catalog.detail ?? "")")
        let page = try Self.verdict("pdf-lt-dss-then-page")
        #expect(page.reasons.contains(.byteRangeIncomplete), "\(page)")
        #expect(page.detail?.contains("object 3") == true, "\(page.detail ?? "")")
    }

    /// Hand-made unsigned revisions appended to the B-LT file: each must be refused, none may trap.
    @Test("hostile updates after the DSS: a redefined object, an annotation, a form, garbage, truncation, deep nesting")
    func hostileUpdates() throws {
        let base = try Self.pdf("pdf-lt-dss")
        let verifier = try Self.verifier(Self.strict)
        func reasons(_ tail: String) -> [SignatureReason] {
            verifier.verifyPDF(base + Array(tail.utf8), at: SignatureFixtures.now).first?.reasons ?? [.malformedSignature]
        }
        // the page's content stream (object 4) redefined
        #expect(reasons("\n4 0 obj\n<< /Length 10 >>\nstream\nBT ET 1234\nendstream\nendobj\n%%EOF\n") == [.byteRangeIncomplete])
        // an annotation, a form XObject, a DSS dictionary of another /Type
        #expect(reasons("\n99 0 obj\n<< /Type /Annot /Subtype /Text /Contents (x) >>\nendobj\n%%EOF\n") == [.byteRangeIncomplete])
        #expect(reasons("\n99 0 obj\n<< /Type /XObject /Subtype /Form /Length 5 >>\nstream\nBT ET\nendstream\nendobj\n%%EOF\n") == [.byteRangeIncomplete])
        #expect(reasons("\n99 0 obj\n<< /Type /Page /Certs [] >>\nendobj\n%%EOF\n") == [.byteRangeIncomplete])
        // bytes that are not objects, a truncated object, endless nesting, an unterminated string
        #expect(reasons("\nthis is not PDF\n%%EOF\n") == [.byteRangeIncomplete])
        #expect(reasons("\n99 0 obj\n<< /Certs [ 1 0 R") == [.byteRangeIncomplete])
        #expect(reasons("\n99 0 obj\n" + String(repeating: "<< /A ", count: 5000)) == [.byteRangeIncomplete])
        #expect(reasons("\n99 0 obj\n" + String(repeating: "[", count: 100_000)) == [.byteRangeIncomplete])
        #expect(reasons("\n99 0 obj\n(" + String(repeating: "(", count: 10_000)) == [.byteRangeIncomplete])
        // an object appended without a cross-reference section that names it: what a repairing reader shows
        #expect(reasons("\n99 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n%%EOF\n") == [.byteRangeIncomplete])
    }

    @Test("an object the signed revision refers to but never defined, filled in afterwards, is a change")
    func shadowObject() throws {
        // pdf-lt-shadow: the signed page says /Thumb 40 0 R, undefined; an update after the DSS defines object 40.
        let v = try Self.verdict("pdf-lt-shadow")
        #expect(v.reasons == [.byteRangeIncomplete], "\(v)")
        #expect(v.detail?.contains("object 40 0, which the signed document refers to, is first defined after the signature") == true, "\(v.detail ?? "")")
    }

    @Test("B-LTA: a document time-stamp proves the signature existed; its DSS answers revocation at that time")
    func documentTimeStamp() throws {
        let v = try Self.verdict("pdf-lta-expired")
        #expect(v.status == .valid && v.reasons.isEmpty, "\(v)")
        #expect(v.timestamp?.time == "2017-06-01T00:00:00Z" && v.revocation?.source?.contains("2017-06-02") == true, "\(v)")
        #expect(v.notes?.contains { $0.contains("expired 2018-12-31") } == true, "\(v.notes ?? [])")

        // Only the document time-stamp proves the time (2017-06-01): not `expired`; its CRL (2017-05-15, next
        // update 2017-07-15) was the current CRL at that time, which is fresh enough (EN 319 102-1).
        let only = try Self.verdict("pdf-lta-docts-only")
        #expect(only.status == .valid && only.timestamp?.time == "2017-06-01T00:00:00Z", "\(only)")
        #expect(only.revocation?.source?.contains("2017-05-15") == true, "\(only)")
        #expect(only.notes?.contains { $0.contains("by a document time-stamp of CN=Truc LTV TSA") } == true, "\(only.notes ?? [])")
    }

    /// The signature itself is intact (a DSS is validation data, and pyHanko says so too: LTA_UPDATES); its own
    /// signature time-stamp and the later DSS's CRL still decide it, while the broken document time-stamp proves
    /// nothing (before, any byte changed after the signature made it byte-range-incomplete).
    @Test("a document time-stamp whose imprint fails proves nothing; the signature it follows stays intact")
    func tamperedDocumentTimeStamp() throws {
        let v = try Self.verdict("pdf-lta-tampered")
        #expect(!v.reasons.contains(.byteRangeIncomplete) && v.status == .valid, "\(v)")
        #expect(v.notes?.contains { $0.hasPrefix("validation data added after this signature") } == true, "\(v.notes ?? [])")
        #expect(v.notes?.contains { $0.contains("document time-stamp proves nothing") && $0.contains("imprint") } == true, "\(v.notes ?? [])")
    }
}

extension VerificationPolicy {
    func with(_ change: (inout VerificationPolicy) -> Void) -> VerificationPolicy {
        var copy = self
        change(&copy)
        return copy
    }
}
