import ArgumentParser
import EdXML
import Foundation
import ZIPFoundation

/// `truc bench`: benchmarks that print figures. Run them in release mode (`scripts/bench.sh`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print figures (build in release mode: scripts/bench.sh).",
        subcommands: [BenchGenerate.self, BenchRead.self])
}

/// Writes the benchmark inputs: a 5 KB status message and a document of about 20 MB with one zipped PDF.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Write the benchmark messages.")

    @Option(help: "Output folder.")
    var out: String = ".bench"

    @Option(help: "Approximate size of the large document, in MiB.")
    var documentMiB: Int = 20

    func run() throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let status = BenchMessages.status(targetBytes: 5 * 1024)
        try Data(status).write(to: URL(fileURLWithPath: "\(out)/status-5k.edxml"))
        let document = try BenchMessages.document(targetBytes: documentMiB << 20)
        try Data(document).write(to: URL(fileURLWithPath: "\(out)/document-\(documentMiB)m.edxml"))
        print("wrote \(out)/status-5k.edxml (\(status.count) bytes) and \(out)/document-\(documentMiB)m.edxml (\(document.count) bytes)")
    }
}

/// Reads, validates and decodes the attachments of one message in a loop on one core; prints the rate and
/// the process's peak memory.
struct BenchRead: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Time read + validate + decode attachments of a message.")

    @Argument(help: "The message file (from `truc bench generate`).")
    var file: String

    @Option(help: "How long to loop, in seconds.")
    var seconds: Double = 5

    @Option(help: "What to time: all (read + validate + decode attachments), read, validate (read + validate).")
    var stage: String = "all"

    func run() throws {
        let bytes = try FileInput.load(file, maxBytes: 1 << 30)
        let baseline = PeakMemory.currentRSS()
        var iterations = 0, findings = 0
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        repeat {
            let parsed = try EdXMLReader.read(bytes)
            if stage != "read" { findings += parsed.validate().count }
            if stage == "all" { findings += parsed.decodeAttachments().1.count }
            iterations += 1
        } while clock.now < deadline
        let elapsed = clock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let peak = PeakMemory.peakRSS()
        let mb = Double(bytes.count) / 1_000_000
        print("""
            file            \(file)
            size            \(bytes.count.grouped) bytes
            iterations      \(iterations) in \(String(format: "%.2f", secs)) s (one thread), findings per run \(findings / max(iterations, 1))
            messages/s      \(String(format: "%.1f", Double(iterations) / secs))
            MB/s            \(String(format: "%.1f", Double(iterations) * mb / secs))
            peak RSS        \(String(format: "%.1f", Double(peak) / 1_048_576)) MiB = \(String(format: "%.2f", Double(peak) / Double(bytes.count))) x file size
            RSS before loop \(String(format: "%.1f", Double(baseline) / 1_048_576)) MiB (process + the loaded file)
            """)
    }
}

enum PeakMemory {
    /// Peak resident set size of this process, in bytes (VmHWM).
    static func peakRSS() -> Int { statusField("VmHWM:") }
    static func currentRSS() -> Int { statusField("VmRSS:") }

    private static func statusField(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}

/// Synthetic messages built with Truc's own writer from realistic content.
enum BenchMessages {
    static let sender = Organization(organId: "000.00.00.G22", organizationInCharge: "Văn phòng Chính phủ", organName: "Văn phòng Chính phủ",
                                     organAdd: "Số 1 Hoàng Hoa Thám, Quận Ba Đình, Hà Nội", email: "vpcp@gov.vn", telephone: "0804 3100")
    static let recipient = Organization(organId: "000.00.00.H41", organizationInCharge: "UBND Tỉnh Nghệ An", organName: "UBND Tỉnh Nghệ An",
                                        organAdd: "Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An", email: "nghean@gov.vn")

    static func status(targetBytes: Int) -> [UInt8] {
        var message = StatusMessage(
            from: recipient,
            responseFor: ResponseFor(organId: "000.00.00.G22", code: "7816/VPCP-TTĐT", promulgationDate: EdDate(year: 2026, month: 11, day: 20),
                                     documentId: "000.00.00.G22,2026/11/20,7816/VPCP-TTĐT"),
            staffInfo: StaffInfo(department: "Văn thư", staff: "Nguyễn Thị Ngọc Trâm", email: "vanthu@nghean.gov.vn", mobile: "84912000001"),
            statusCode: .accepted, description: "", timestamp: EdTimestamp(year: 2026, month: 11, day: 22, hour: 8, minute: 30, second: 0))
        let sentence = "Văn thư cơ quan - Phòng Văn thư - Lưu trữ: tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị. "
        var bytes = EdXMLWriter.write(message)
        while bytes.count < targetBytes {
            message.description = (message.description ?? "") + sentence
            bytes = EdXMLWriter.write(message)
        }
        return bytes
    }

    static func document(targetBytes: Int) throws -> [UInt8] {
        // A PDF-shaped file of incompressible content (real PDFs are mostly compressed streams), zipped as
        // the national library does, sized so the base64 lands near `targetBytes`.
        let pdfSize = targetBytes * 3 / 4 - 4096
        var generator = SplitMix64(seed: 0x7275_6300)
        var pdf = [UInt8](unsafeUninitializedCapacity: pdfSize) { buffer, count in
            var i = 0
            while i + 8 <= pdfSize {
                let v = generator.next()
                for k in 0..<8 { buffer[i + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
                i += 8
            }
            while i < pdfSize { buffer[i] = 0x20; i += 1 }
            count = pdfSize
        }
        pdf.replaceSubrange(0..<9, with: Array("%PDF-1.7\n".utf8))
        let archive = try Archive(accessMode: .create)
        try archive.addEntry(with: "a3661564-bcbb-4406-a6a9-ceddbc8f4e17.pdf", type: .file, uncompressedSize: Int64(pdf.count),
                             compressionMethod: .deflate) { position, size in
            Data(pdf[Int(position)..<Int(position) + size])
        }
        let zip = [UInt8](archive.data ?? Data())
        let header = MessageHeader(
            from: sender, to: [recipient], documentId: "000.00.00.G22,2026/11/20,7816/VPCP-TTĐT",
            code: DocumentCode(codeNumber: "7816", codeNotation: "VPCP-TTĐT"),
            promulgationInfo: PromulgationInfo(place: "Hà Nội", promulgationDate: EdDate(year: 2026, month: 11, day: 20)),
            documentType: DocumentType(type: "1", typeDetail: "0", typeName: "Công văn"),
            subject: "V/v kết nối, liên thông phần mềm quản lý văn bản", content: "V/v kết nối, liên thông phần mềm quản lý văn bản",
            signerInfo: SignerInfo(competence: "KT. BỘ TRƯỞNG", position: "Thứ trưởng", fullName: "Nguyễn Văn An"),
            otherInfo: OtherInfo(priority: "0", promulgationAmount: "1", pageAmount: "120"), steeringType: "0")
        let document = DocumentMessage(
            header: header,
            traceHeaders: [TraceHeader(organId: "000.00.00.G22", timestamp: EdTimestamp(year: 2026, month: 11, day: 20, hour: 9, minute: 0, second: 0))],
            business: Business(docTypeText: "0", reason: "Văn bản điện tử mới", paper: "0"),
            manifest: [ManifestReference(contentId: "cid:1", contentType: "application/zip", description: "Báo cáo", attachmentName: "bao-cao.pdf")],
            attachments: [AttachmentInfo(contentId: "cid:1", attachmentName: "bao-cao.pdf", description: "Báo cáo", contentType: "application/zip",
                                         mimeType: "application/pdf")])
        return EdXMLWriter.write(document, attachmentContent: [zip])
    }
}

/// A small deterministic generator, so every run benchmarks the same bytes.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
