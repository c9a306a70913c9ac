import Foundation
import Testing
import TrucCrypto
@testable import EdXML

@Suite("Attachments: base64, ZIP, limits", .timeLimit(.minutes(30)))
struct AttachmentTests {
    /// The variant sample with its attachment replaced by `base64` (and its declared type by `contentType`).
    func message(base64: String, contentType: String = "application/zip") throws -> ParsedMessage {
        let text = String(decoding: try Fixtures.sample("edoc_new_variant_dc0bdef0.edxml"), as: UTF8.self)
        let open = try #require(text.range(of: "<edXML:ContentTransferEncoded xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">"))
        let close = try #require(text.range(of: "</edXML:ContentTransferEncoded>"))
        var changed = String(text[..<open.upperBound]) + base64 + String(text[close.lowerBound...])
        changed = changed.replacingAll("<ContentType>application/zip</ContentType>", with: "<ContentType>\(contentType)</ContentType>")
        return try EdXMLReader.read(Array(changed.utf8))
    }

    func sha256(_ bytes: [UInt8]) -> String { Digest.sha256(bytes).hexString }

    @Test("a raw PDF (not zipped) is accepted and sniffed")
    func rawPDF() throws {
        let pdf = try Fixtures.bytes("attachments/small.pdf")
        let parsed = try message(base64: Data(pdf).base64EncodedString(), contentType: "application/pdf")
        let (decoded, findings) = parsed.decodeAttachments(retainContent: true)
        #expect(findings.isEmpty, "\(findings)")
        let a = try #require(decoded.first)
        #expect(a.sniffedType == "application/pdf" && a.declaredType == "application/pdf")
        #expect(a.size == pdf.count && a.sha256 == sha256(pdf))
        #expect(a.entries == nil && a.bytes == pdf)
    }

    @Test("base64 wrapped at 76 columns with CRLF decodes to the same bytes")
    func wrappedBase64() throws {
        let pdf = try Fixtures.bytes("attachments/small.pdf")
        let wrapped = Data(pdf).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        #expect(wrapped.contains("\r\n"))
        let (decoded, findings) = try message(base64: "\n  " + wrapped + "\n  ", contentType: "application/pdf").decodeAttachments()
        #expect(findings.isEmpty)
        #expect(decoded.first?.sha256 == sha256(pdf))
    }

    @Test("a ZIP with several files exposes each entry")
    func nestedZip() throws {
        let zip = try Fixtures.bytes("attachments/nested.zip")
        let (decoded, findings) = try message(base64: Data(zip).base64EncodedString()).decodeAttachments(retainContent: true)
        #expect(findings.isEmpty, "\(findings)")
        let entries = try #require(decoded.first?.entries)
        #expect(entries.map(\.name) == ["van-ban.pdf", "ghi-chu.txt"])
        #expect(entries[0].sniffedType == "application/pdf")
        #expect(entries[0].sha256 == sha256(try Fixtures.bytes("attachments/small.pdf")))
        #expect(entries[1].bytes == Array("Tiếng Việt\n".utf8))
    }

    @Test("invalid base64 is a finding with the offset", arguments: ["QUJD*RA==", "QUJDRA==QUJD", "Q", "QU=D"])
    func invalidBase64(text: String) throws {
        let (decoded, findings) = try message(base64: text).decodeAttachments()
        #expect(decoded.isEmpty)
        #expect(findings.map(\.code) == [.invalidBase64])
    }

    @Test("unpadded base64 is tolerated")
    func unpadded() throws {
        let (decoded, findings) = try message(base64: "JVBERi0", contentType: "application/pdf").decodeAttachments(retainContent: true)
        #expect(findings.isEmpty)
        #expect(decoded.first?.bytes == Array("%PDF-".utf8))
    }

    @Test("a ZIP bomb is refused by the ratio limit, within a second")
    func zipBomb() throws {
        let bomb = try Fixtures.bytes("attachments/bomb.zip")
        let parsed = try message(base64: Data(bomb).base64EncodedString())
        let clock = ContinuousClock()
        var findings: [Finding] = []
        let elapsed = clock.measure { findings = parsed.decodeAttachments().1 }
        #expect(findings.map(\.code) == [.zipBomb])
        #expect(elapsed < .seconds(1))
        // and by the total-size limit when the ratio limit is lifted
        let lifted = AttachmentLimits(maxUncompressedTotal: 50 << 20, maxRatio: 1_000_000)
        #expect(parsed.decodeAttachments(limits: lifted).1.first?.message.contains("expand beyond") == true)
    }

    @Test("a ZIP whose headers lie about the size is stopped while inflating")
    func lyingZip() throws {
        let liar = try Fixtures.bytes("attachments/liar.zip")
        let (_, findings) = try message(base64: Data(liar).base64EncodedString()).decodeAttachments()
        #expect(findings.map(\.code) == [.zipBomb])
    }

    @Test("a ZIP entry whose content does not match its CRC-32")
    func corruptEntry() throws {
        let zip = try Fixtures.bytes("attachments/corrupt.zip")
        let (_, findings) = try message(base64: Data(zip).base64EncodedString()).decodeAttachments()
        #expect(findings.map(\.code) == [.invalidZip])
        #expect(findings.first?.message.contains("CRC-32") == true)
    }

    @Test("bytes that start like a ZIP but are not one")
    func brokenZip() throws {
        let junk: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0x41, count: 200)
        let (_, findings) = try message(base64: Data(junk).base64EncodedString()).decodeAttachments()
        #expect(findings.map(\.code) == [.invalidZip])
    }

    @Test("an attachment over the decoded-size limit is refused before decoding")
    func tooLarge() throws {
        let big = Data(count: 300_000).base64EncodedString()
        let (_, findings) = try message(base64: big).decodeAttachments(limits: AttachmentLimits(maxDecodedBytes: 100_000))
        #expect(findings.map(\.code) == [.attachmentTooLarge])
    }

    @Test("declared type that contradicts the content is a warning")
    func mismatch() throws {
        let pdf = try Fixtures.bytes("attachments/small.pdf")
        let (_, findings) = try message(base64: Data(pdf).base64EncodedString(), contentType: "image/png").decodeAttachments()
        #expect(findings.map(\.code) == [.contentTypeMismatch])
        #expect(findings.first?.severity == .warning)
    }
}

@Suite("Base64 decoder", .timeLimit(.minutes(30)))
struct Base64DecoderTests {
    func decode(_ chunks: [String]) -> ([UInt8], Base64Decoder.Failure?) {
        var d = Base64Decoder()
        let total = chunks.reduce(0) { $0 + $1.utf8.count }
        var out = [UInt8](repeating: 0, count: Base64Decoder.maxDecodedLength(total))
        var n = 0
        out.withUnsafeMutableBufferPointer { buf in
            for c in chunks {
                var bytes = Array(c.utf8)
                n += bytes.withUnsafeMutableBytes { d.feed(UnsafeRawBufferPointer($0), into: buf.baseAddress! + n) }
            }
            n += d.finish(into: buf.baseAddress! + n)
        }
        return (Array(out.prefix(n)), d.failure)
    }

    @Test("matches Foundation on random data split at every boundary")
    func randomSplits() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 4, 5, 57, 100, 1000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString()
            for split in stride(from: 0, through: text.count, by: max(1, text.count / 7)) {
                let a = String(text.prefix(split)), b = String(text.dropFirst(split))
                let (out, failure) = decode([a, b])
                #expect(failure == nil && out == bytes, "length \(length) split \(split)")
            }
        }
    }

    @Test func whitespaceEverywhere() {
        let (out, failure) = decode([" Q U\nJ\tD\r\n", "R A = = \n"])
        #expect(failure == nil && out == Array("ABCD".utf8))
    }
}
