import Foundation
import HTTPTypes
import Testing
import TrucSignatures
import TrucTestSupport

/// A recipient that refuses a message says why, and the sender is told in a signed receipt it can act on.
@Suite("A failed acknowledgement reaches the sender", .timeLimit(.minutes(30)))
struct FailedAckTests {
    @Test("fail needs a reason; the reason reaches the sender in a signed receipt; a later, different acknowledgement is a conflict, a retry is not")
    func failReachesSender() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            let sent = try await hub.post("signatures/env-valid-inclusive.edxml", token: g22)
            let id = try #require(sent.json?["id"] as? String)
            func ack(_ body: String) async throws -> RouterHub.Reply {
                try await hub.request(.post, "/v1/inbox/\(id)/ack", token: h41, body: Array(body.utf8))
            }
            let bare = try await ack("{\"outcome\":\"fail\"}")
            #expect(bare.status == 400 && bare.errorCode == "reason-required")
            #expect(try await ack("{\"outcome\":\"fail\",\"reason\":\"   \"}").errorCode == "reason-required")
            #expect(try await ack("{\"outcome\":\"fail\",\"reason\":\"\(String(repeating: "x", count: 1_001))\"}").errorCode == "reason-too-long")
            // Nothing was recorded by the refused ones: the delivery still waits.
            let waiting = try await hub.request(.get, "/v1/messages/\(id)/trace", token: g22).json?["deliveries"] as? [[String: Any]] ?? []
            #expect(waiting.first { $0["recipient"] as? String == "000.00.00.H41" }?["state"] as? String == "awaiting-pull")

            let reason = "Sai thẩm quyền: văn bản gửi nhầm đơn vị (wrong addressee)"
            let failed = try await ack("{\"outcome\":\"fail\",\"reason\":\"\(reason)\"}")
            #expect(failed.status == 200 && failed.json?["state"] as? String == "failed")
            #expect(try await ack("{\"outcome\":\"fail\",\"reason\":\"\(reason)\"}").status == 200, "a retry is answered as the first")
            let other = try await ack("{\"outcome\":\"fail\",\"reason\":\"another reason\"}")
            #expect(other.status == 409 && other.errorCode == "already-acknowledged" && String(decoding: other.body, as: UTF8.self).contains("wrong addressee"))
            #expect(try await ack("{\"outcome\":\"done\"}").errorCode == "already-acknowledged")

            // The sender: the trace says failed with the reason, and a signed receipt in its status inbox says so.
            let trace = try await hub.request(.get, "/v1/messages/\(id)/trace", token: g22).json?["deliveries"] as? [[String: Any]] ?? []
            let h41Row = trace.first { $0["recipient"] as? String == "000.00.00.H41" }
            #expect(h41Row?["state"] as? String == "failed" && h41Row?["reason"] as? String == reason)
            let items = try await hub.request(.get, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]] ?? []
            let receipts = items.filter { $0["kind"] as? String == "receipt" }
            #expect(receipts.count == 1)
            let receiptId = try #require(receipts.first?["messageId"] as? String)
            let bytes = try await hub.request(.get, "/v1/messages/\(receiptId)", token: g22).body
            let receipt = try #require(DeliveryReceipt.parse(bytes))
            #expect(receipt.outcome == "failed" && receipt.reason == reason && receipt.recipient == "000.00.00.H41" && receipt.messageId == id)
        }
    }
}
