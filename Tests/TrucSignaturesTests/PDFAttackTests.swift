import Foundation
import Testing
import TrucCrypto
@testable import TrucSignatures

/// The published attacks on signed PDFs (PDF-Insecurity's incremental saving and signature wrapping attacks,
/// the Shadow Attacks) and the variants that fooled the earlier DSS-only rule, each made by
/// `Tests/Fixtures/signatures/make_attack_fixtures.py` from a document pyHanko signed with G22's organisation
/// key. Every one makes the page say "900 ty dong" where the signed page says "100 trieu dong": G22's
/// signature must be invalid, with a reason that names what changed — whatever a later signature says.
/// pyHanko's difference analysis of the same file (recorded by the script) is shown beside Truc's.
@Suite("PDF attacks: a document changed after signing never passes", .timeLimit(.minutes(30)))
struct PDFAttackTests {
    static func pdf(_ name: String) throws -> [UInt8] { try SignatureFixtures.bytes("attacks/\(name).pdf") }

    /// pyHanko's verdict on G22's signature: bottom line and modification level, or the error it refused the file with.
    struct PyHanko: Decodable {
        var bottom_line: Bool?
        var modification_level: String?
        var error: String?
    }

    static let pyHanko: [String: PyHanko] = {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: SignatureFixtures.path("attacks/verdicts.json"))) else { return [:] }
        return (try? JSONDecoder().decode([String: PyHanko].self, from: data)) ?? [:]
    }()

    /// (fixture, words Truc's detail names)
    static let attacks: [(String, String)] = [
        ("info-names-page", "object 3, part of the signed document, is changed"),
        ("other-generation", "object 9 1, which the signed document refers to, is first defined after the signature"),
        ("xref-only-repoint", "object 4, part of the signed document, is changed"),
        ("change-then-sha224-signature", "object 4, part of the signed document, is changed"),
        ("change-then-other-signature", "object 4, part of the signed document, is changed"),
        ("isa-no-xref", "object 4 written after the signature is not the one the cross-reference names"),
        ("isa-full-xref-no-prev", "a field of the signed document is removed after the signature"),
        ("isa-page-redefined", "object 3, part of the signed document, is changed"),
        ("shadow-hide", "part of the signed document, is changed"),
        ("shadow-replace-font", "object 5, part of the signed document, is changed"),
        ("shadow-hide-and-replace", "object 3, part of the signed document, is changed"),
        ("swa-moved-range", "the hole of the byte range is not exactly the /Contents string"),
        ("annotation-added", "a form field or annotation that is not a signature is added after the signature (object 22)"),
        ("metadata-not-xmp", "the document's metadata (object 23) is replaced by something that is not an XMP stream"),
        ("certified-p1-then-signed", "a signature is added after a certification that permits no changes (DocMDP P=1)"),
    ]

    @Test("each attack: G22's signature is invalid and says what changed; pyHanko does not accept it either", arguments: attacks)
    func attack(name: String, words: String) throws {
        let verdicts = SignatureFixtures.verifier.verifyPDF(try Self.pdf(name), at: SignatureFixtures.now)
        let g22 = try #require(verdicts.first, "\(name): no verdict")
        #expect(g22.status == .invalid && g22.reasons.contains(.byteRangeIncomplete), "\(name): \(g22)")
        #expect(g22.detail?.contains(words) == true, "\(name): \(g22.detail ?? "no detail")")
        #expect(g22.signer?.identifier == "MST:0100100001" || g22.signer == nil, "\(name): \(String(describing: g22.signer))")
        // pyHanko: either its difference analysis finds a change it does not permit, or it refuses to read the file
        let theirs = try #require(Self.pyHanko[name], "\(name) is not in verdicts.json")
        #expect(theirs.error != nil || theirs.bottom_line == false, "\(name): pyHanko \(theirs)")
    }

    @Test("the later signature is judged on its own: another agency's valid signature over the change stays valid, the dummy SHA-224 one undecided")
    func laterSignatures() throws {
        let other = SignatureFixtures.verifier.verifyPDF(try Self.pdf("change-then-other-signature"), at: SignatureFixtures.now)
        #expect(other.count == 2 && other[0].status == .invalid && other[1].status == .valid, "\(other)")
        #expect(other[1].signer?.identifier == "MST:0100200002" || other[1].signer?.commonName?.isEmpty == false, "\(other)")
        let dummy = SignatureFixtures.verifier.verifyPDF(try Self.pdf("change-then-sha224-signature"), at: SignatureFixtures.now)
        #expect(dummy.count == 2 && dummy[0].status == .invalid && dummy[1].status != .valid, "\(dummy)")
    }

    @Test("control: a second agency signing an unchanged document leaves both signatures valid (pyHanko: FORM_FILLING)")
    func control() throws {
        let verdicts = SignatureFixtures.verifier.verifyPDF(try Self.pdf("control-second-signature"), at: SignatureFixtures.now)
        #expect(verdicts.count == 2 && verdicts.allSatisfy { $0.status == .valid }, "\(verdicts)")
        #expect(verdicts[0].notes?.contains("signed again after this signature (new signatures and validation data only)") == true, "\(verdicts[0])")
        #expect(Self.pyHanko["control-second-signature"]?.modification_level == "FORM_FILLING")
    }

    @Test("controls: signature boxes of the template filled in order; a P=2 certification then another signature (pyHanko: FORM_FILLING)",
          arguments: ["control-prefilled-fields", "control-certified-p2-then-signed"])
    func formFilling(name: String) throws {
        let verdicts = SignatureFixtures.verifier.verifyPDF(try Self.pdf(name), at: SignatureFixtures.now)
        #expect(verdicts.count == 2 && verdicts.allSatisfy { $0.status == .valid }, "\(name): \(verdicts)")
        #expect(Self.pyHanko[name]?.modification_level == "FORM_FILLING" && Self.pyHanko[name]?.bottom_line == true)
    }

    @Test("control: an XMP metadata stream added to the catalog after signing is permitted (pyHanko: LTA_UPDATES)")
    func metadata() throws {
        let verdicts = SignatureFixtures.verifier.verifyPDF(try Self.pdf("control-metadata-added"), at: SignatureFixtures.now)
        #expect(verdicts.count == 1 && verdicts[0].status == .valid, "\(verdicts)")
        #expect(verdicts[0].notes?.contains { $0.hasPrefix("validation data added after this signature") } == true, "\(verdicts)")
        #expect(Self.pyHanko["control-metadata-added"]?.modification_level == "LTA_UPDATES")
    }

    @Test("every attack, written to a mapped scratch file in odd chunks, gets the in-memory verdicts")
    func mappedAgree() throws {
        for (name, _) in Self.attacks + [("control-second-signature", ""), ("control-metadata-added", ""), ("control-prefilled-fields", ""),
                                         ("control-certified-p2-then-signed", "")] {
            let pdf = try Self.pdf(name)
            #expect(try SignatureFixtures.verifier.verifyPDFMapped(pdf, at: SignatureFixtures.now, chunkSize: 333)
                    == SignatureFixtures.verifier.verifyPDF(pdf, at: SignatureFixtures.now), "\(name)")
        }
    }
}
