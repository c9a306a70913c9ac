import Foundation
import Testing
@testable import TrucSignatures

@Suite("Delivery receipts", .timeLimit(.minutes(30)))
struct ReceiptSignerTests {
    static func signer() throws -> ReceiptSigner {
        let hub = SignatureFixtures.repo.appendingPathComponent("Certs/demo/hub")
        return try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: hub.appendingPathComponent("server.key"))),
                                 certificateChainPEM: [UInt8](try Data(contentsOf: hub.appendingPathComponent("server.chain.pem"))))
    }

    static let receipt = DeliveryReceipt(hubCode: "000.00.00.W00", messageId: "3f1c-…", documentId: "000.00.00.G22,2026/11/22,1/VPCP-TTĐT",
                                         sender: "000.00.00.G22", recipient: "000.00.00.H41", deliveredAt: "2026-11-22T03:00:00Z",
                                         how: "pull", sha256: String(repeating: "ab", count: 32))

    @Test("a key that is not the key of the chain's first certificate is refused: no receipt would verify")
    func keyOfAnotherCertificate() throws {
        let demo = SignatureFixtures.repo.appendingPathComponent("Certs/demo")
        #expect(throws: (any Error).self) {
            try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: demo.appendingPathComponent("agencies/000.00.00.G22/organisation.key"))),
                              certificateChainPEM: [UInt8](try Data(contentsOf: demo.appendingPathComponent("hub/server.chain.pem"))))
        }
        _ = try Self.signer() // the hub's own pair loads
    }

    @Test("a receipt signed by the hub verifies with xmlsec1, and fails once changed",
          .enabled(if: CrossCheckTests.tool("xmlsec1") != nil))
    func xmlsecVerifies() async throws {
        let bytes = try Self.signer().sign(Self.receipt)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("<Recipient>000.00.00.H41</Recipient>") && text.contains("TTĐT"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-receipt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("receipt.xml"), bad = dir.appendingPathComponent("forged.xml")
        try Data(bytes).write(to: good)
        try Data(text.replacingOccurrences(of: "000.00.00.H41", with: "000.00.00.H14").utf8).write(to: bad)
        let tool = try #require(CrossCheckTests.tool("xmlsec1"))
        let trust = SignatureFixtures.trustDirectory
        let args = ["--verify", "--trusted-pem", trust + "/root-ca.pem", "--untrusted-pem", trust + "/intermediate-ca.pem"]
        #expect(try await CrossCheckTests.run(tool, args + [good.path]).0 == 0)
        #expect(try await CrossCheckTests.run(tool, args + [bad.path]).0 != 0)
    }

    @Test("one non-delivery receipt lists every unrouted recipient; xmlsec1 verifies it and Truc reads the list back",
          .enabled(if: CrossCheckTests.tool("xmlsec1") != nil))
    func nonDeliveryListsEveryRecipient() async throws {
        var receipt = Self.receipt
        let codes = ["000.00.01.H53", "000.00.02.H53", "000.00.03.H53"]
        receipt.recipient = codes.joined(separator: " ")
        receipt.how = "none"
        receipt.outcome = "undeliverable"
        receipt.reason = "no route reaches 3 of the message's recipients"
        receipt.undeliverable = codes.map { .init(recipient: $0, reason: "unknown-recipient: no agency \($0) <&> is registered") }
        let bytes = try Self.signer().sign(receipt)
        #expect(DeliveryReceipt.parse(bytes) == receipt, "read back field for field, the escaped reason included")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-ndr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("ndr.xml"), bad = dir.appendingPathComponent("dropped.xml")
        try Data(bytes).write(to: good)
        // Removing one listed recipient breaks the signature.
        let text = String(decoding: bytes, as: UTF8.self)
        let entry = try #require(text.range(of: "<Undeliverable><Recipient>000.00.02.H53</Recipient>"))
        let end = try #require(text.range(of: "</Undeliverable>\n", range: entry.upperBound..<text.endIndex))
        try Data(text.replacingCharacters(in: entry.lowerBound..<end.upperBound, with: "").utf8).write(to: bad)
        let tool = try #require(CrossCheckTests.tool("xmlsec1"))
        let trust = SignatureFixtures.trustDirectory
        let args = ["--verify", "--trusted-pem", trust + "/root-ca.pem", "--untrusted-pem", trust + "/intermediate-ca.pem"]
        #expect(try await CrossCheckTests.run(tool, args + [good.path]).0 == 0)
        #expect(try await CrossCheckTests.run(tool, args + [bad.path]).0 != 0)
        #expect(DeliveryReceipt.parse(try Data(contentsOf: bad).map { $0 })?.undeliverable.count == 2)
    }
}
