import Foundation
import TrucCrypto
import Logging
import TrucCore
import TrucSignatures
import TrucStore

/// Issues the hub-signed delivery receipt when a recipient takes delivery (pull acknowledged, or push
/// accepted) and puts it in the sender's inbox (a status item) — for senders registered at this hub.
struct ReceiptIssuer: Sendable {
    let signer: ReceiptSigner
    let store: any MessageStore
    let hubCode: String
    let logger: Logger

    func issue(messageId: String, recipient: String, how: String) async {
        do {
            guard let message = try await store.message(messageId), message.kind != "receipt",
                  let sender = try await store.agency(message.sender), !sender.relay else { return }
            let now = Int64(Date().timeIntervalSince1970)
            let receipt = DeliveryReceipt(hubCode: hubCode, messageId: messageId, documentId: message.documentId, sender: message.sender,
                                          recipient: recipient, deliveredAt: isoUTCString(now), how: how, sha256: message.sha256)
            let bytes = try signer.sign(receipt)
            let id = UUID().uuidString.lowercased()
            let record = IncomingMessage(
                id: id, kind: "receipt", sender: hubCode, documentId: message.documentId, idempotencyKey: "receipt|\(messageId)|\(recipient)",
                receivedAt: now, sha256: Digest.sha256(bytes).hexString, recipients: [message.sender], verdictJSON: "{}", bucket: "unsigned",
                businessType: nil, statusCode: nil, answersDocumentId: messageId, answerJSON: "{\"id\":\"\(id)\"}")
            _ = try await store.accept(record, payload: bytes)
        } catch {
            logger.error("cannot issue a delivery receipt", metadata: ["message": "\(messageId)", "recipient": "\(recipient)", "error": "\(error)"])
        }
    }

    func isoUTCString(_ epoch: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }
}
