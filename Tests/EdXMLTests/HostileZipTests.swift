import Foundation
import Testing
import TrucCrypto
import TrucZlib
@testable import EdXML

/// ZIP containers crafted to trap or stall a reader (made by Python, `Fixtures/attachments/make.py`): the
/// two that took the hub down through ZIPFoundation 0.9.20 (a central directory past the end, a deflate
/// stream without its final block) and their relatives. Each is a finding, quickly; none is a crash.
@Suite("Hostile ZIP containers", .timeLimit(.minutes(30)))
struct HostileZipTests {
    static let hostile = [
        "cd-offset-past-end", "cd-size-huge", "entry-count-lies", "local-offset-past", "compressed-size-past", "name-length-past",
        "truncated", "eocd-only", "deflate-no-final-block", "deflate-truncated", "deflate-garbage", "method-99", "encrypted",
    ]

    @Test("each hostile container is refused as invalid-zip, in well under a second", arguments: hostile)
    func refused(_ name: String) throws {
        let zip = try Fixtures.bytes("attachments/hostile/\(name).zip")
        let clock = ContinuousClock()
        var result: Result<([ZipEntryContent], Int), AttachmentFailure>?
        let elapsed = clock.measure {
            result = AttachmentDecoding.unzip(Data(zip), limits: .default, alreadyUncompressed: 0, retain: true)
        }
        guard case .failure(let failure) = result else {
            Issue.record("\(name) was read as a ZIP")
            return
        }
        #expect(failure.code == .invalidZip, "\(name): \(failure.message)")
        #expect(elapsed < .seconds(1))
    }

    @Test("each hostile container inside a document is a finding of the reader, not a crash", arguments: hostile)
    func inDocument(_ name: String) throws {
        let parsed = try EdXMLReader.read(try Fixtures.bytes("attachments/hostile/\(name).edxml"))
        let (_, findings) = parsed.decodeAttachments(retainContent: true)
        #expect(findings.map(\.code) == [.invalidZip], "\(name): \(findings)")
    }

    @Test("a valid ZIP64 archive is read (ZIP64 end records and extra fields)")
    func zip64() throws {
        let zip = try Fixtures.bytes("attachments/hostile/zip64.zip")
        let pdf = try Fixtures.bytes("attachments/small.pdf")
        guard case .success(let (entries, total)) = AttachmentDecoding.unzip(Data(zip), limits: .default, alreadyUncompressed: 0, retain: true) else {
            Issue.record("zip64.zip was refused")
            return
        }
        #expect(entries.map(\.name) == ["van-ban.pdf"])
        #expect(entries.first?.bytes == pdf && total == pdf.count)
        #expect(entries.first?.sniffedType == "application/pdf")
    }

    @Test("ZipWriter's archives read back through ZipArchive, stored and deflated")
    func roundTrip() throws {
        var writer = ZipWriter()
        let text = Array("Tiếng Việt có dấu\n".utf8)
        let big = [UInt8](repeating: 0x41, count: 300_000) + text
        try writer.add(name: "a.txt", contents: text, deflate: false)
        try writer.add(name: "thư mục/b.bin", contents: big)
        try writer.add(name: "empty", contents: [])
        let archive = writer.finish()
        try archive.withUnsafeBytes { bytes in
            let read = try ZipArchive(bytes, maxEntries: 10)
            #expect(read.entries.map(\.name) == ["a.txt", "thư mục/b.bin", "empty"])
            for (entry, expected) in zip(read.entries, [text, big, []]) {
                var out: [UInt8] = []
                try ZipArchive.extract(entry, from: bytes) { out.append(contentsOf: $0) }
                #expect(out == expected, "\(entry.name)")
                var crc = CRC32()
                expected.withUnsafeBytes { crc.update($0) }
                #expect(crc.value == entry.crc32)
            }
            #expect(throws: ZipError.self) { try ZipArchive(bytes, maxEntries: 2) }
        }
    }

    @Test("every truncation and every single-byte change of a small archive ends in an answer")
    func mutations() throws {
        var writer = ZipWriter()
        try writer.add(name: "van-ban.pdf", contents: try Fixtures.bytes("attachments/small.pdf"))
        try writer.add(name: "ghi-chu.txt", contents: Array("ghi chú".utf8), deflate: false)
        let archive = writer.finish()
        var variants: [[UInt8]] = (0..<archive.count).map { Array(archive[..<$0]) }
        for i in 0..<archive.count {
            for value: UInt8 in [0x00, 0xFF, archive[i] ^ 0x01] {
                var v = archive
                v[i] = value
                variants.append(v)
            }
        }
        for v in variants {
            _ = AttachmentDecoding.unzip(Data(v), limits: .default, alreadyUncompressed: 0, retain: false)
        }
    }
}
