import Testing
@testable import TrucSignatures

@Suite("PDF byte ranges", .timeLimit(.minutes(30)))
struct PDFScannerTests {
    func pdf(range: String, contents: String = "<3003020100>", tail: String = "\n%%EOF\n") -> [UInt8] {
        Array("%PDF-1.7\n1 0 obj << /Type /Sig /ByteRange \(range) /Contents \(contents) >> endobj\n".utf8) + Array(tail.utf8)
    }

    @Test("a range that does not start at 0, overlaps or runs past the file is byte-range-incomplete", arguments: [
        "[5 10 20 5]", "[0 40 30 5]", "[0 10 20 99999]",
    ])
    func badRanges(range: String) {
        let fields = PDFSignatureScanner.scan(pdf(range: range), limit: 8)
        #expect(fields.count == 1)
        #expect(fields.first?.rangeProblem != nil)
    }

    @Test("the hole must be exactly the /Contents hex string")
    func holeNotContents() {
        let bytes = pdf(range: "[0 10 20 5]")
        #expect(PDFSignatureScanner.scan(bytes, limit: 8).first?.rangeProblem?.contains("hole") == true)
    }

    @Test("no /ByteRange, no signature; an unreadable /ByteRange is a broken signature; hostile numbers are bounded")
    func hostile() {
        for text in ["%PDF-1.4 /ByteRange [99999999999999999999 1 2 3]", "%PDF-1.4 /ByteRange", "%PDF-1.4 /ByteRange [0 1 2]",
                     "%PDF-1.4 /ByteRange [0 x 2 3]"] {
            let fields = PDFSignatureScanner.scan(Array(text.utf8), limit: 8)
            #expect(fields.count == 1, "\(text)")
            #expect(fields.first?.rangeProblem != nil && fields.first?.contents == nil, "\(text)")
        }
        // A signature dictionary whose /ByteRange was removed is a broken signature too; a field type /Sig is not.
        let stripped = PDFSignatureScanner.scan(Array("%PDF-1.7 1 0 obj <</Type /Sig /Filter /Adobe.PPKLite /Contents <3082>>> endobj".utf8), limit: 8)
        #expect(stripped.count == 1 && stripped.first?.rangeProblem?.contains("no /ByteRange") == true)
        #expect(PDFSignatureScanner.scan(Array("%PDF-1.7 <</FT /Sig /T (Signature1)>> <</Type /SigFieldLock>>".utf8), limit: 8).isEmpty)
        #expect(PDFSignatureScanner.scan(Array("%PDF-1.7 no signature here".utf8), limit: 8).isEmpty)
        #expect(PDFSignatureScanner.scan([], limit: 8).isEmpty)
        let many = Array(String(repeating: "/ByteRange [1 2 3 4] ", count: 100).utf8)
        #expect(PDFSignatureScanner.scan(many, limit: 16).count == 16)
    }

    @Test("bytes after the last signed revision")
    func coverage() {
        let bytes = Array("abc%%EOF\n".utf8)
        func covers(_ pdf: [UInt8], _ end: Int) -> Bool { pdf.withUnsafeBufferPointer { PDFSignatureScanner.coversNewestRevision($0, signedEnd: end) } }
        #expect(covers(bytes, bytes.count))
        #expect(covers(bytes + [0x0A], bytes.count))
        #expect(!covers(bytes + Array("1 0 obj".utf8), bytes.count))
        #expect(!covers(bytes, -1) && !covers(bytes, Int.max))
    }
}
