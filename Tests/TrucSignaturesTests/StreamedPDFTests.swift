import Foundation
import Testing
import TrucCrypto
import TrucSignatures
import EdXML

/// Large PDFs inside ZIPs are verified in passes, never held whole (`StreamedPDF`): every fixture must get the
/// same verdicts read in passes — with chunks from one byte up, so that every token straddles a boundary — as
/// read in memory; the forms that need random access fall back to memory.
@Suite("PDFs read in passes give the verdicts of PDFs read in memory")
struct StreamedPDFTests {
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

    @Test("every PDF fixture, in chunks of 1, 7, 4,096 and 65,536 bytes")
    func fixturesAgree() throws {
        let files = try Self.pdfs()
        #expect(files.count >= 25, "\(files.count) PDF fixtures")
        var streamedCount = 0, fallbacks: [String] = []
        for (path, trustDirectory) in files {
            let verifier = SignatureVerifier(trust: try TrustStore(directory: trustDirectory))
            let pdf = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let expected = verifier.verifyPDF(pdf, at: SignatureFixtures.now)
            for chunk in [1, 7, 4096, 65_536] {
                let (verdicts, streamed) = verifier.verifyPDFStreamed(pdf, at: SignatureFixtures.now, chunkSize: chunk)
                #expect(verdicts == expected, "\(path) in chunks of \(chunk): \(verdicts) vs \(expected)")
                if chunk == 4096 { if streamed { streamedCount += 1 } else { fallbacks.append(URL(fileURLWithPath: path).lastPathComponent) } }
            }
        }
        // The plain signed PDFs stream; what needs random access (DSS, document time-stamps, unsigned updates,
        // object streams after a signature) falls back.
        #expect(streamedCount >= 10, "streamed \(streamedCount); fell back: \(fallbacks)")
        for name in ["pdf-both.pdf", "pdf-personal.pdf", "pdf-tampered.pdf", "pdf-pss.pdf", "pdf-lt-no-dss.pdf"] {
            #expect(!fallbacks.contains(name), "\(name) should stream")
        }
        for name in ["pdf-appended.pdf", "pdf-lt-dss.pdf", "pdf-lta-expired.pdf", "pdf-legacy-sha1.pdf"] where files.contains(where: { $0.path.hasSuffix("/" + name) }) {
            #expect(fallbacks.contains(name) || name == "pdf-legacy-sha1.pdf", "\(name) needs random access")
        }
    }

    @Test("hostile byte ranges read in passes: the same refusals")
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
        for variant in variants {
            for chunk in [1, 13, 4096] {
                #expect(verifier.verifyPDFStreamed(variant, at: SignatureFixtures.now, chunkSize: chunk).verdicts
                        == verifier.verifyPDF(variant, at: SignatureFixtures.now))
            }
        }
    }

    @Test("a message whose zipped PDFs are all streamed gets the verdict of the message read in memory")
    func messages() throws {
        var policy = VerificationPolicy()
        policy.streamPDFsAbove = 0
        let streaming = SignatureVerifier(trust: SignatureFixtures.trust, policy: policy)
        for name in ["pdf-both-zip.edxml", "pdf-personal.edxml", "pdf-tampered.edxml", "pdf-revoked.edxml", "pdf-unsigned.edxml",
                     "env-valid-inclusive.edxml", "env-valid-cid.edxml"] {
            let message = try EdXMLReader.read(try SignatureFixtures.bytes(name))
            #expect(streaming.verify(message, at: SignatureFixtures.now) == SignatureFixtures.verifier.verify(message, at: SignatureFixtures.now), "\(name)")
        }
    }
}
