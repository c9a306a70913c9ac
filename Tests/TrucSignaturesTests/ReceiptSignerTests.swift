import Foundation
import Testing
@testable import TrucSignatures

@Suite("Delivery receipts")
struct ReceiptSignerTests {
    static func signer() throws -> ReceiptSigner {
        let hub = SignatureFixtures.repo.appendingPathComponent("Certs/demo/hub")
        return try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: hub.appendingPathComponent("server.key"))),
                                 certificateChainPEM: [UInt8](try Data(contentsOf: hub.appendingPathComponent("server.chain.pem"))))
    }

    static let receipt = DeliveryReceipt(hubCode: "000.00.00.W00", messageId: "3f1c-…", documentId: "000.00.00.G22,2026/11/22,1/VPCP-TTĐT",
                                         sender: "000.00.00.G22", recipient: "000.00.00.H41", deliveredAt: "2026-11-22T03:00:00Z",
                                         how: "pull", sha256: String(repeating: "ab", count: 32))

    @Test("a receipt signed by the hub verifies with xmlsec1, and fails once changed",
          .enabled(if: CrossCheckTests.tool("xmlsec1") != nil))
    func xmlsecVerifies() throws {
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
        #expect(try CrossCheckTests.run(tool, args + [good.path]).0 == 0)
        #expect(try CrossCheckTests.run(tool, args + [bad.path]).0 != 0)
    }
}
