import Foundation
import Testing
import TrucCrypto
import TrucSignatures
import EdXML

/// Validation in the past: PDFs signed by pyHanko with RFC 3161 signature time-stamps of 2017 by signers
/// whose certificates ran 2015–2018 (`Tests/Fixtures/signatures/make_timestamp_fixtures.py`; pyHanko's
/// validator cross-checks each token). The archive CA's CRL lists one signer revoked in 2018 and one in 2016.
@Suite("Time-stamps: a signature proven to exist before its certificate expired or was revoked", .timeLimit(.minutes(30)))
struct TimestampTests {
    static let archive = SignatureFixtures.path("pki/archive")
    static let verifier: SignatureVerifier = {
        do { return SignatureVerifier(trust: try TrustStore(directory: archive + "/trust")) } catch { fatalError("archive trust: \(error)") }
    }()

    static func verdict(_ name: String, at time: Int64 = SignatureFixtures.now) throws -> SignatureVerdict {
        let message = try EdXMLReader.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: archive + "/" + name))))
        return try #require(verifier.verify(message, at: time).signatures.first)
    }

    @Test("expired after the time-stamp: valid, the time-stamp and the later expiry reported")
    func expiredAfterTimestamp() throws {
        let v = try Self.verdict("pdf-ts-expired.edxml")
        #expect(v.status == .valid && v.reasons.isEmpty, "\(v)")
        #expect(v.timestamp?.time == "2017-06-01T00:00:00Z" && v.timestamp?.tsa == "CN=Truc Archive TSA,C=VN" && v.timestamp?.valid == true)
        #expect(v.notes?.contains { $0.contains("expired 2018-12-31") && $0.contains("after the time-stamp") } == true, "\(v.notes ?? [])")
        // Verified in 2017 the same document needs no proof from the past.
        let then = try Self.verdict("pdf-ts-expired.edxml", at: 1_500_000_000)
        #expect(then.status == .valid && (then.notes ?? []).isEmpty, "\(then)")
    }

    @Test("without a time-stamp, or with one after the expiry, or one not signed by a TSA: expired")
    func expired() throws {
        let none = try Self.verdict("pdf-expired.edxml")
        #expect(none.reasons == [.expired] && none.timestamp == nil)
        let late = try Self.verdict("pdf-ts-after-expiry.edxml")
        #expect(late.reasons == [.expired] && late.timestamp?.time == "2019-06-01T00:00:00Z" && late.timestamp?.valid == true)
        let fake = try Self.verdict("pdf-ts-not-tsa.edxml")
        #expect(fake.reasons == [.expired], "\(fake)")
        #expect(fake.timestamp?.valid == false && fake.timestamp?.detail?.contains("id-kp-timeStamping") == true, "\(String(describing: fake.timestamp))")
    }

    @Test("revoked after the time-stamp: valid, the revocation reported; revoked before it: revoked")
    func revocation() throws {
        let later = try Self.verdict("pdf-ts-revoked-later.edxml")
        #expect(later.status == .valid, "\(later)")
        #expect(later.revocation?.status == "revoked" && later.revocation?.revokedAt == "2018-03-01T00:00:00Z")
        #expect(later.notes?.contains { $0.contains("revoked 2018-03-01") && $0.contains("after the time-stamp") } == true, "\(later.notes ?? [])")
        let before = try Self.verdict("pdf-ts-revoked-before.edxml")
        #expect(before.reasons == [.revoked], "\(before)")
        #expect(before.detail?.contains("revoked 2016-06-01") == true)
    }

    @Test("EN 319 102-1 indications: a time-stamp before the revocation or expiry passes with it as the best signature time; after it, TOTAL-FAILED; without proof, INDETERMINATE *_NO_POE")
    func indications() throws {
        func etsi(_ name: String) throws -> ETSIStatus { try #require(try Self.verdict(name).etsi, "\(name)") }
        let later = try etsi("pdf-ts-revoked-later.edxml")
        #expect(later.indication == "TOTAL-PASSED" && later.subIndication == nil
                && later.bestSignatureTime == ProofOfExistence(time: "2017-06-01T00:00:00Z", proof: "signature-time-stamp"), "\(later)")
        #expect(later.level?.hasSuffix("-T") == true, "\(later)")
        let before = try etsi("pdf-ts-revoked-before.edxml")
        #expect(before.indication == "TOTAL-FAILED" && before.subIndication == "REVOKED", "\(before)")
        let expiredLater = try etsi("pdf-ts-expired.edxml")
        #expect(expiredLater.indication == "TOTAL-PASSED" && expiredLater.bestSignatureTime.time == "2017-06-01T00:00:00Z")
        let afterExpiry = try etsi("pdf-ts-after-expiry.edxml")
        #expect(afterExpiry.indication == "TOTAL-FAILED" && afterExpiry.subIndication == "EXPIRED", "\(afterExpiry)")
        let noProof = try etsi("pdf-expired.edxml")
        #expect(noProof.indication == "INDETERMINATE" && noProof.subIndication == "OUT_OF_BOUNDS_NO_POE" && noProof.bestSignatureTime.proof == "validation"
                && noProof.level?.hasSuffix("-B") == true, "\(noProof)")
        // A time-stamp not made by a TSA proves nothing: the same as no proof.
        #expect(try etsi("pdf-ts-not-tsa.edxml").subIndication == "OUT_OF_BOUNDS_NO_POE")
    }

    @Test("a token whose imprint is not the signature's digest proves nothing")
    func tamperedToken() throws {
        // Flip one byte of the signature value inside the CMS: the signature breaks, and the token's imprint
        // no longer matches — the time-stamp must not rescue anything.
        var pdf = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.archive + "/pdf-ts-expired.pdf")))
        let text = String(decoding: pdf, as: UTF8.self)
        let contents = try #require(text.range(of: "/Contents <"))
        let offset = text.utf8.distance(from: text.startIndex, to: contents.upperBound) + 1200 // inside the hex, in the signature value area
        pdf[offset] = pdf[offset] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        let verdicts = Self.verifier.verifyPDF(pdf, at: SignatureFixtures.now)
        #expect(verdicts.first?.status == .invalid, "\(verdicts)")
    }
}

@Suite("RSASSA-PSS signatures made by pyHanko and signxml", .timeLimit(.minutes(30)))
struct PSSTests {
    @Test("PSS verifies in a PDF and on the envelope, and a flipped bit in the signature breaks it")
    func pss() throws {
        let pdf = try #require(try SignatureFixtures.verdict("pdf-pss.edxml").signatures.first)
        #expect(pdf.status == .valid && pdf.algorithm == "rsa-pss-sha256", "\(pdf)")
        let envelope = try #require(try SignatureFixtures.verdict("env-pss-signxml.edxml").signatures.first)
        #expect(envelope.status == .valid && envelope.algorithm == "rsa-pss-sha256", "\(envelope)")
        var text = String(decoding: try SignatureFixtures.bytes("env-pss-signxml.edxml"), as: UTF8.self)
        let value = try #require(text.range(of: "SignatureValue>"))
        let index = text.index(value.upperBound, offsetBy: 10)
        text.replaceSubrange(index...index, with: text[index] == "A" ? "B" : "A")
        let broken = SignatureFixtures.verifier.verify(try EdXMLReader.read(Array(text.utf8)), at: SignatureFixtures.now)
        #expect(broken.signatures.first?.reasons == [.signatureMismatch], "\(broken)")
    }
}
