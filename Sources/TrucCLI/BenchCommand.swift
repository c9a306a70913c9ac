import ArgumentParser
import EdXML
import Foundation
import TrucCrypto
import TrucRevocation
import TrucSignatures
import TrucZlib

/// `truc bench`: benchmarks that print figures. Run them in release mode (`scripts/bench.sh`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print figures (build in release mode: scripts/bench.sh).",
        subcommands: [BenchGenerate.self, BenchRead.self, BenchVerify.self, BenchBound.self, BenchLoad.self, BenchStatsFill.self, BenchStoreFill.self, BenchRevocation.self, BenchKept.self, BenchLog.self, BenchPurge.self])
}

/// Writes the benchmark inputs: a 5 KB status message and a document of about 20 MB with one zipped PDF.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Write the benchmark messages.")

    @Option(help: "Output folder.")
    var out: String = ".bench"

    @Option(name: .customLong("document-mib"), help: "Approximate size of the large document, in MiB.")
    var documentMiB: Int = 20

    @OptionGroup var errorOutput: ErrorOutput


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

    @OptionGroup var errorOutput: ErrorOutput


    func run() throws {
        let bytes = try FileInput.load(file, maxBytes: 1 << 30)
        let baseline = PeakMemory.currentRSS()
        var findings = 0
        let timing = try Timing.loop(seconds) {
            let parsed = try EdXMLReader.read(bytes)
            if stage != "read" { findings += parsed.validate().count }
            if stage == "all" { findings += parsed.decodeAttachments().1.count }
        }
        let (iterations, secs) = (timing.iterations, Double(timing.iterations) / timing.rate)
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
        var writer = ZipWriter()
        try writer.add(name: "a3661564-bcbb-4406-a6a9-ceddbc8f4e17.pdf", contents: pdf)
        let zip = writer.finish()
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

/// The bound of the load benchmark: verification alone (read + verify, as the intake does it) of the same
/// documents on several threads at once, as many as the hub has cores; no HTTP, TLS or store.
struct BenchBound: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bound", abstract: "Time verification alone on several threads (the load benchmark's bound).")

    @Argument(help: "A signed message, or a folder of them (the first is used).") var file: String
    @Option(help: "Threads verifying at once.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "How long to loop, in seconds.") var seconds: Double = 3
    @Option(help: "Trust directory (default: the demo PKI).") var trust: String?

    @OptionGroup var errorOutput: ErrorOutput


    func run() throws {
        TrucCommand.tuneMalloc() // as `truc serve` does
        var path = file
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            let first = try FileManager.default.contentsOfDirectory(atPath: file).filter { $0.hasSuffix(".edxml") }.sorted().first
            guard let first else { throw ValidationError("no .edxml file in \(file)") }
            path = file + "/" + first
        }
        let bytes = try FileInput.load(path, maxBytes: 1 << 30)
        let store = try TrustStore(directory: try TrustDirectory.resolve(trust))
        let now = Int64(Date().timeIntervalSince1970)
        let check = SignatureVerifier(trust: store).verify(try EdXMLReader.read(bytes), at: now)
        guard !check.invalid, !check.signatures.isEmpty else {
            print("the benchmark message must carry valid signatures; got \(check.signatures.map(\.status))")
            throw ExitCode(1)
        }
        let rates = Self.measure(bytes, threads: threads, seconds: seconds, trust: store)
        print("""
            document        \(path) (\(bytes.count.grouped) bytes, \(check.signatures.count) signatures)
            bound           \(String(format: "%.1f", rates.reduce(0, +))) verifications/s on \(rates.count) threads at once (\(rates.map { String(format: "%.1f", $0) }.joined(separator: " + ")))
            """)
    }

    /// Verifications per second of `bytes` (read + verify) on each of `threads` threads running at once.
    static func measure(_ bytes: [UInt8], threads: Int, seconds: Double, trust: TrustStore) -> [Double] {
        let now = Int64(Date().timeIntervalSince1970)
        let count = max(1, threads)
        let rates = RateList(count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let verifier = SignatureVerifier(trust: trust)
            rates.set(index, Timing.loop(seconds) { _ = verifier.verify(try! EdXMLReader.read(bytes), at: now) }.rate)
        }
        return rates.values
    }
}

/// Per-thread results of `BenchBound`.
final class RateList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double]
    init(_ count: Int) { storage = Array(repeating: 0, count: count) }
    func set(_ index: Int, _ value: Double) { lock.withLock { storage[index] = value } }
    var values: [Double] { lock.withLock { storage } }
}

/// Verifies one signed message in a loop on one thread; prints the rate, the bound (OpenSSL's digests and
/// signature checks plus base64 decoding, measured in the same run) and peak memory.
struct BenchVerify: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Time signature verification of a signed message.")

    @Argument(help: "A signed message (scripts/make_bench_documents.py makes them).")
    var file: String

    @Option(help: "How long to loop, in seconds.")
    var seconds: Double = 5

    @Option(help: "Trust directory (default: the demo PKI).")
    var trust: String?

    @OptionGroup var errorOutput: ErrorOutput


    func run() throws {
        let bytes = try FileInput.load(file, maxBytes: 1 << 30)
        let store = try TrustStore(directory: try TrustDirectory.resolve(trust))
        let verifier = SignatureVerifier(trust: store)
        let now = Int64(Date().timeIntervalSince1970)
        let first = verifier.verify(try EdXMLReader.read(bytes), at: now)
        guard !first.invalid, !first.signatures.isEmpty else {
            print("the benchmark message must carry valid signatures; got \(first.signatures.map(\.status))")
            throw ExitCode(1)
        }
        let mb = Double(bytes.count) / 1_000_000
        let full = Timing.loop(seconds) { _ = verifier.verify(try! EdXMLReader.read(bytes), at: now) }
        let envelope = Timing.loop(seconds / 2) { _ = verifier.verify(try! EdXMLReader.read(bytes), at: now, scope: .envelope) }
        let peak = PeakMemory.peakRSS()

        // The bound: the work no verifier can avoid, done by OpenSSL (and the base64 decoding).
        let parsed = try EdXMLReader.read(bytes)
        let decoded = parsed.decodeAttachments(retainContent: true).0
        let pdfs = decoded.flatMap { a in (a.entries ?? []).isEmpty ? [a.bytes ?? []] : (a.entries ?? []).compactMap(\.bytes) }
        var digestBytes = 0
        var signatureCount = 0
        for s in first.signatures {
            signatureCount += 1
            if s.location == "envelope" { digestBytes += bytes.count } // the "" reference: about the whole document
        }
        for (pdf, count) in zip(pdfs, pdfs.map { pdf in first.signatures.filter { $0.location.hasPrefix("attachment:") }.count / max(pdfs.count, 1) }) {
            digestBytes += pdf.count * count
        }
        let texts = decoded.map { Data($0.bytes ?? []).base64EncodedString() }
        let buffer = [UInt8](repeating: 0x41, count: max(bytes.count, pdfs.map(\.count).max() ?? 0))
        let key = try Certificate.fromPEM(Array(try String(contentsOfFile: try TrustDirectory.resolve(trust) + "/../agencies/000.00.00.G22/organisation.pem", encoding: .utf8).utf8)).first!.publicKey!
        let fakeSignature = [UInt8](repeating: 0x5A, count: key.bits / 8)
        let bound = Timing.loop(seconds / 2) {
            var remaining = digestBytes
            while remaining > 0 {
                let n = min(remaining, buffer.count)
                buffer.withUnsafeBytes { _ = Digest.hash(.sha256, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                remaining -= n
            }
            for _ in 0..<signatureCount {
                _ = Array("signed-info".utf8).withUnsafeBytes { key.verify(signature: fakeSignature, data: $0, digest: .sha256) }
            }
            for t in texts { _ = Data(base64Encoded: t) }
        }
        print("""
            file            \(file)
            size            \(bytes.count.grouped) bytes, \(first.signatures.count) signatures (\(first.signatures.map { "\($0.location) \($0.kind.rawValue)" }.joined(separator: "; ")))
            verify (all)    \(String(format: "%.1f", full.rate)) documents/s on one thread, \(String(format: "%.1f", full.rate * mb)) MB/s
            envelope only   \(String(format: "%.1f", envelope.rate)) verifications/s of the envelope XMLDSig (read + verify)
            bound           \(String(format: "%.1f", bound.rate)) documents/s: OpenSSL SHA-256 over \(digestBytes.grouped) bytes + \(signatureCount) RSA-\(key.bits) verifications + base64 of the attachments
            share of bound  \(String(format: "%.0f", 100 * full.rate / bound.rate)) %
            peak RSS        \(String(format: "%.1f", Double(peak) / 1_048_576)) MiB = \(String(format: "%.2f", Double(peak) / Double(bytes.count))) x file size
            """)
    }
}

enum Timing {
    /// Runs `body` repeatedly for about `seconds`; returns iterations per second.
    static func loop(_ seconds: Double, _ body: () throws -> Void) rethrows -> (rate: Double, iterations: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        var iterations = 0
        repeat {
            try body()
            iterations += 1
        } while clock.now < deadline
        let elapsed = clock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(iterations) / secs, iterations)
    }
}

/// Verification throughput with revocation: offline (the trust directory's CRLs), with a warm OCSP cache,
/// and with a cold cache (a fresh revocation source per document, so every document waits for the
/// responder). `scripts/bench-revocation.sh` runs it against the lab's `openssl ocsp` on 127.0.0.1.
struct BenchRevocation: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revocation", abstract: "Time verification with revocation offline, warm and cold.")

    @Argument(help: "A message signed by a certificate with an OCSP URL.")
    var file: String

    @Option(help: "Trust directory.")
    var trust: String

    @Option(help: "How long to loop each mode, in seconds.")
    var seconds: Double = 5

    @OptionGroup var errorOutput: ErrorOutput


    func run() throws {
        let bytes = try FileInput.load(file, maxBytes: 1 << 30)
        let store = try TrustStore(directory: trust)
        let now = Int64(Date().timeIntervalSince1970)
        let message = try EdXMLReader.read(bytes)
        let offline = SignatureVerifier(trust: store, revocation: OfflineRevocation())
        let network = NetworkRevocation(configuration: .init(mode: .preferOCSP))
        defer { network.shutdownNow() }
        let warm = SignatureVerifier(trust: store, revocation: network)
        let first = warm.verify(message, at: now)
        guard first.signatures.first?.revocation?.source?.hasPrefix("ocsp") == true, !first.invalid else {
            print("the benchmark message must carry a valid signature whose revocation comes from OCSP; got \(first.signatures)")
            throw ExitCode(1)
        }
        let offlineRate = Timing.loop(seconds) { _ = offline.verify(try! EdXMLReader.read(bytes), at: now) }
        let warmRate = Timing.loop(seconds) { _ = warm.verify(try! EdXMLReader.read(bytes), at: now) }
        var coldTimes: [Double] = []
        let coldRate = Timing.loop(seconds) {
            let fresh = NetworkRevocation(configuration: .init(mode: .preferOCSP))
            let verifier = SignatureVerifier(trust: store, revocation: fresh)
            let started = ContinuousClock.now
            let verdict = verifier.verify(try! EdXMLReader.read(bytes), at: now)
            let elapsed = ContinuousClock.now - started
            coldTimes.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
            precondition(verdict.signatures.first?.revocation?.source?.hasPrefix("ocsp") == true, "the cold lookup did not reach the responder")
            fresh.shutdownNow()
        }
        coldTimes.sort()
        let offlineMs = 1000 / offlineRate.rate
        print("""
            file            \(file) (\(bytes.count.grouped) bytes)
            offline         \(String(format: "%.1f", offlineRate.rate)) documents/s on one thread (trust-directory CRLs only)
            warm OCSP       \(String(format: "%.1f", warmRate.rate)) documents/s on one thread (answer from the cache)
            cold OCSP       \(String(format: "%.1f", coldRate.rate)) documents/s on one thread (a fetch per document, new HTTP client each time)
            cold fetch adds median \(String(format: "%.1f", coldTimes[coldTimes.count / 2] - offlineMs)) ms, p90 \(String(format: "%.1f", coldTimes[coldTimes.count * 9 / 10] - offlineMs)) ms to one verification (\(coldTimes.count) samples)
            """)
    }
}
