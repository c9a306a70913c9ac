import Foundation
import Testing
@testable import TrucSignatures

/// Numbers a PDF declares are checked before any arithmetic, and the work they ask for is bounded where it is
/// done: each `Tests/Fuzz/crashers/pdf/number-*.pdf` (made by `Tests/Fuzz/make_number_crashers.py`)
/// trapped the process or filled its memory before. Now the signature they follow is not valid, and a file
/// that declares millions of entries is refused as too complex.
@Suite("PDF numbers that do not fit: no trap, no valid verdict", .timeLimit(.minutes(30)))
struct PDFHostileNumberTests {
    static let folder = SignatureFixtures.repo.appendingPathComponent("Tests/Fuzz/crashers/pdf")

    static let files = ["number-length-max", "number-subsection-max", "number-index-max", "number-negative-offset",
                        "number-declared-millions", "number-objstm-offset-max"]

    @Test("each hostile update after a signed document: the signature is not valid, or the file too complex", arguments: files)
    func hostile(name: String) throws {
        let pdf = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name + ".pdf")))
        let verdicts = SignatureFixtures.verifier.verifyPDF(pdf, at: SignatureFixtures.now)
        let tooComplex = SignatureFixtures.verifier.pdfTooComplex(pdf, at: SignatureFixtures.now)
        #expect(tooComplex != nil || (!verdicts.isEmpty && verdicts.allSatisfy { $0.status == .invalid && $0.reasons.contains(.byteRangeIncomplete) }),
                "\(name): \(verdicts) \(tooComplex ?? "")")
    }

    @Test("16 million declared entries (a 16 KB stream that inflates to 16 MB) are refused as too complex")
    func millions() throws {
        let pdf = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("number-declared-millions.pdf")))
        #expect(pdf.count < 100_000)
        let problem = SignatureFixtures.verifier.pdfTooComplex(pdf, at: SignatureFixtures.now)
        #expect(problem?.contains("cross-reference entries") == true, "\(problem ?? "not refused")")
    }

    /// Each of 768 DSS items re-inflated their 16 MiB object stream (~15 s, 12 GB inflated).
    @Test("a DSS of 768 objects in one 16 MiB object stream inflates it once (work counted, not timed)")
    func dssObjectStream() throws {
        let pdf = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("bomb-dss-objstm.pdf")))
        try pdf.withUnsafeBufferPointer { bytes in
            let file = PDFFile(bytes)
            _ = try PDFValidationData.read(file)
            #expect(file.budget.inflated > 16 << 20 - 4096 && file.budget.inflated < 17 << 20, "\(file.budget.inflated) bytes inflated")
            // and the whole verification, modification analysis included, stays within one inflation per stream
            let signed = try file.revision(endingAt: pdf.count)
            #expect(signed.trailer["Root"] != nil)
        }
        let verdicts = SignatureFixtures.verifier.verifyPDF(pdf, at: SignatureFixtures.now)
        // a DSS-only update after the two signatures: validation data, the signatures stay as they were
        #expect(verdicts.count == 2 && verdicts.allSatisfy { $0.status == .valid }, "\(verdicts)")
    }

    /// Found by the fuzzer: the DSS file above with its object stream broken. Each of the 768 items inflated the
    /// 16 MiB container again (the failure was not remembered, and a stream that failed was never charged): 9 s of
    /// zlib in a debug build, gigabytes inflated, for 48 KB.
    @Test("a DSS of 768 objects in one broken object stream: inflated once, the failure remembered, the work charged",
          arguments: ["bomb-dss-objstm-broken-1", "bomb-dss-objstm-broken-2"])
    func dssBrokenObjectStream(name: String) throws {
        let pdf = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name + ".pdf")))
        // The work, counted two ways: bytes charged to the budget (every chunk zlib produced), and this thread's CPU
        // time (not wall time: other tests share the cores), which charged-or-not inflation cannot hide from.
        let cpu = ThreadCPU()
        try pdf.withUnsafeBufferPointer { bytes in
            let file = PDFFile(bytes)
            _ = try? PDFValidationData.read(file)
            #expect(file.budget.inflated < 17 << 20, "\(file.budget.inflated) bytes inflated: the container more than once")
        }
        let verdicts = SignatureFixtures.verifier.verifyPDF(pdf, at: SignatureFixtures.now)
        #expect(!verdicts.isEmpty && verdicts.allSatisfy { $0.status != .valid }, "\(verdicts)")
        #expect(cpu.seconds < 3, "\(cpu.seconds) s of CPU for a 48 KB document")
    }

    @Test("checked arithmetic on declared numbers")
    func checked() {
        #expect(Checked.add(Int.max, 1) == nil && Checked.add(2, 3) == 5)
        #expect(Checked.range(Int.max, count: 2, within: 100) == nil && Checked.range(-1, count: 2, within: 100) == nil)
        #expect(Checked.range(10, count: 5, within: 15) == 10..<15 && Checked.range(10, count: 6, within: 15) == nil)
        // a parser told to start outside the buffer reads the end of the file, never outside it
        [UInt8]("1 0 obj".utf8).withUnsafeBufferPointer { buffer in
            var parser = PDFParser(buffer, at: -5)
            #expect(parser.word() == nil)
            parser = PDFParser(buffer, at: Int.max)
            #expect(parser.word() == nil)
        }
    }
}

/// CPU time this thread has used since the value was made (RUSAGE_THREAD): work, not waiting.
struct ThreadCPU {
    private let start = ThreadCPU.now()

    var seconds: Double { ThreadCPU.now() - start }

    private static func now() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage) // RUSAGE_THREAD (Linux), not exported to Swift
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
