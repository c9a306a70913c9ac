import Foundation
import Testing
import TrucCrypto
import TrucSignatures
import EdXML

/// Large PDFs inside ZIPs are inflated into a mapped scratch file and read exactly as a file in memory is (one
/// reader, one grammar): every fixture, and hostile variants, must get the same verdicts written in chunks from
/// one byte up as read in memory.
@Suite("PDFs read from a mapped scratch file give the verdicts of PDFs read in memory", .timeLimit(.minutes(30)))
struct MappedPDFTests {
    static let fixtures = SignatureFixtures.path("")

    /// Every PDF fixture, with the trust directory its signers chain to.
    static func pdfs() throws -> [(path: String, trust: String)] {
        let root = URL(fileURLWithPath: fixtures)
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "pdf" }.map(\.path).sorted() ?? []
        return files.map { path in
            let trust = path.contains("/pki/archive/") ? fixtures + "/pki/archive/trust"
                : path.contains("/pki/ltv/") ? fixtures + "/pki/ltv/trust" : SignatureFixtures.trustDirectory
            return (path, trust)
        }
    }

    @Test("every PDF fixture, written in chunks of 1, 7, 4,096 and 65,536 bytes")
    func fixturesAgree() throws {
        let files = try Self.pdfs()
        #expect(files.count >= 25, "\(files.count) PDF fixtures")
        for (path, trustDirectory) in files {
            let verifier = SignatureVerifier(trust: try TrustStore(directory: trustDirectory))
            let pdf = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let expected = verifier.verifyPDF(pdf, at: SignatureFixtures.now)
            for chunk in [1, 7, 4096, 65_536] where chunk > 1 || pdf.count < 200_000 {
                let verdicts = try verifier.verifyPDFMapped(pdf, at: SignatureFixtures.now, chunkSize: chunk)
                #expect(verdicts == expected, "\(path) in chunks of \(chunk): \(verdicts) vs \(expected)")
            }
        }
    }

    @Test("hostile byte ranges and signature dictionaries: the same refusals mapped as in memory")
    func hostileRanges() throws {
        let verifier = SignatureFixtures.verifier
        let good = try SignatureFixtures.bytes("pdf-both.pdf")
        let text = String(decoding: good, as: UTF8.self)
        var variants: [[UInt8]] = [Array(good.prefix(good.count / 2)), good + Array("\n%%EOF\n".utf8), Array(good.dropFirst(3))]
        for replacement in ["/ByteRange [0 99999999999 1 2]", "/ByteRange [0 10 5 3]", "/ByteRange [ 1 2 3", "/ByteRange [0 0 0 0]"] {
            if let range = text.range(of: "/ByteRange [") {
                let end = text[range.upperBound...].firstIndex(of: "]")!
                variants.append(Array(text.replacingCharacters(in: range.lowerBound...end, with: replacement).utf8))
            }
        }
        variants.append(Array(text.replacingOccurrences(of: "/Type /Sig", with: "/Type /Sig /ByteRange").utf8))
        // /Type and /Sig 100 KB apart, and a /ByteRange array far from its key: one reading, whatever the distance
        let padding = String(repeating: " ", count: 100_000)
        variants.append(Array(text.replacingOccurrences(of: "/Type /Sig", with: "/Type\(padding)/Sig").utf8))
        variants.append(Array(text.replacingOccurrences(of: "/ByteRange [", with: "/ByteRange\(padding)[").utf8))
        // a large file (over the size at which ZIP entries are mapped) with both
        variants.append(Array(text.replacingOccurrences(of: "/Type /Sig", with: "/Type\(padding)/Sig").utf8) + [UInt8](repeating: 0x20, count: 5 << 20))
        for variant in variants {
            let expected = verifier.verifyPDF(variant, at: SignatureFixtures.now)
            for chunk in [13, 4096] {
                #expect(try verifier.verifyPDFMapped(variant, at: SignatureFixtures.now, chunkSize: chunk) == expected)
            }
        }
        // the padded /Type /Sig is still a signature dictionary: the document is not taken for valid
        let padded = Array(text.replacingOccurrences(of: "/ByteRange [", with: "/ByteRange\(padding)[").utf8)
        #expect(verifier.verifyPDF(padded, at: SignatureFixtures.now).allSatisfy { $0.status == .valid } == false)
    }

    @Test("a message whose zipped PDFs are all mapped gets the verdict of the message read in memory")
    func messages() throws {
        var policy = VerificationPolicy()
        policy.streamPDFsAbove = 0
        let mapping = SignatureVerifier(trust: SignatureFixtures.trust, policy: policy)
        for name in ["pdf-both-zip.edxml", "pdf-personal.edxml", "pdf-tampered.edxml", "pdf-revoked.edxml", "pdf-unsigned.edxml",
                     "env-valid-inclusive.edxml", "env-valid-cid.edxml"] {
            let message = try EdXMLReader.read(try SignatureFixtures.bytes(name))
            #expect(Self.clockFree(mapping.verify(message, at: SignatureFixtures.now))
                    == Self.clockFree(SignatureFixtures.verifier.verify(message, at: SignatureFixtures.now)), "\(name)")
        }
    }
}

extension MappedPDFTests {
    /// A verdict without what the wall clock wrote into it (when it was judged, and the validation time standing in
    /// for a signature time no proof gave): two readings a second apart must still compare equal.
    static func clockFree(_ verdict: MessageVerdict) -> MessageVerdict {
        var copy = verdict
        copy.validationTime = nil
        for index in copy.signatures.indices where copy.signatures[index].etsi?.bestSignatureTime.proof == "validation" {
            copy.signatures[index].etsi?.bestSignatureTime.time = ""
        }
        return copy
    }

    @Test("fuzzer finds: the mapped reading agrees with the in-memory one (Tests/Fuzz/crashers/pdf/mapped-differs-*)")
    func fuzzerFinds() throws {
        let folder = SignatureFixtures.repo.appendingPathComponent("Tests/Fuzz/crashers/pdf")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("mapped-differs-") }.sorted()
        #expect(!names.isEmpty)
        for name in names {
            let pdf = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            let expected = SignatureFixtures.verifier.verifyPDF(pdf, at: SignatureFixtures.now)
            // mapped-differs-1: the first change reported depended on dictionary order, which differs between two
            // readings of one file (Swift seeds each dictionary): the walk now goes in key order. Repeated, since
            // an order-dependent answer agrees by chance.
            for chunk in Array(repeating: 1 + Int(pdf.first ?? 0) * 64, count: 20) + [4096] {
                let mapped = try SignatureFixtures.verifier.verifyPDFMapped(pdf, at: SignatureFixtures.now, chunkSize: chunk)
                #expect(mapped == expected, "\(name) in chunks of \(chunk): \(mapped) vs \(expected)")
            }
        }
    }
}
