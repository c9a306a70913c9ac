import Foundation
import TrucCrypto
import Logging
import TrucCore
import TrucSignatures
import TrucStore

/// Issues the hub-signed delivery receipt when a recipient takes delivery (pull acknowledged, or push
/// accepted) and puts it in the sender's inbox (a status item). A sender served by another hub gets it
/// through that hub: the receipt goes to the peer's `POST /v1/receipts` like a forward, and the peer
/// relays it on or files it in its agency's inbox under its own copy of the message.
struct ReceiptIssuer: Sendable {
    let signer: ReceiptSigner
    let store: any CredentialStore & DirectoryStore & IntakeStore
    let hubCode: String
    let routing: RoutingTable
    let logger: Logger

    /// - Parameter refused: the recipient's reason, when it took the message and refused it (`{"outcome":"fail"}`):
    ///   the receipt then says `<Outcome>failed</Outcome>` with that reason, so the sender can act on it.
    func issue(messageId: String, recipient: String, how: String, refused: String? = nil) async {
        await issue(messageId: messageId, key: recipient) { message in
            var receipt = DeliveryReceipt(hubCode: hubCode, messageId: messageId, documentId: message.documentId, sender: message.sender,
                                          recipient: recipient, deliveredAt: isoUTCString(Int64(Date().timeIntervalSince1970)), how: how,
                                          sha256: message.sha256)
            if let refused {
                receipt.outcome = "failed"
                receipt.reason = refused
            }
            return receipt
        }
    }

    /// One non-delivery receipt for every recipient of the message that no route reaches (a message names at
    /// most `Intake.maxRecipients`): one signature and one stored row, however many they are.
    func issueNonDelivery(messageId: String, unrouted: [UnroutedRecipient]) async {
        guard !unrouted.isEmpty else { return }
        await issue(messageId: messageId, key: "undeliverable") { message in
            var receipt = DeliveryReceipt(hubCode: hubCode, messageId: messageId, documentId: message.documentId, sender: message.sender,
                                          recipient: unrouted.map(\.code).joined(separator: " "),
                                          deliveredAt: isoUTCString(Int64(Date().timeIntervalSince1970)), how: "none", sha256: message.sha256)
            receipt.outcome = "undeliverable"
            receipt.reason = unrouted.count == 1 ? unrouted[0].reason : "no route reaches \(unrouted.count) of the message's recipients"
            receipt.undeliverable = unrouted.map { .init(recipient: $0.code, reason: $0.reason) }
            return receipt
        }
    }

    /// Signs and files the receipt `make` writes about `messageId`, once per `key` (a recipient, or
    /// `undeliverable`). Never about a receipt.
    private func issue(messageId: String, key: String, _ make: (StoredMessage) -> DeliveryReceipt) async {
        do {
            guard let message = try await store.message(messageId), message.kind != "receipt" else { return }
            let receipt = make(message)
            let bytes = try signer.sign(receipt)
            _ = try await file(bytes, receipt: receipt, key: key, about: messageId, at: Int64(Date().timeIntervalSince1970))
        } catch {
            logger.error("cannot issue a delivery receipt", metadata: ["message": "\(messageId)", "receipt": "\(key)", "error": "\(error)"])
        }
    }

    /// A receipt a peer hub relays (`POST /v1/receipts`): filed under this hub's copy of the document (same
    /// sender and DocumentId), or passed on toward the sender. Returns false when no such document passed here.
    func relay(_ bytes: [UInt8], receipt: DeliveryReceipt) async throws -> Bool {
        guard let documentId = receipt.documentId else { return false }
        let copies = try await store.findMessages(documentId)
        guard let local = copies.first(where: { $0.kind == "edoc" && $0.sender == receipt.sender }) else { return false }
        let key = receipt.outcome == "undeliverable" && !receipt.undeliverable.isEmpty ? "undeliverable" : receipt.recipient
        return try await file(bytes, receipt: receipt, key: key, about: local.id, at: Int64(Date().timeIntervalSince1970))
    }

    /// Stores the receipt for the sender: in its inbox when it is served here, else queued for the peer hub
    /// that leads to it (native peers only: the national SDK's dialect has no receipts). Once per delivery.
    private func file(_ bytes: [UInt8], receipt: DeliveryReceipt, key: String, about messageId: String, at now: Int64) async throws -> Bool {
        var targets: [String: String] = [:]
        if let sender = try await store.agency(receipt.sender) {
            if sender.relay { return false }
        } else {
            guard case .peer(let peer) = routing.destination(for: receipt.sender, local: nil), peer.dialect == .native, peer.code != hubCode
            else { return false }
            targets[receipt.sender] = peer.url.hasSuffix("/") ? peer.url + "v1/receipts" : peer.url + "/v1/receipts"
        }
        let id = MessageID.make()
        var record = IncomingMessage(
            id: id, kind: "receipt", sender: receipt.hubCode, documentId: receipt.documentId,
            idempotencyKey: "receipt|\(receipt.hubCode)|\(receipt.messageId)|\(key)",
            receivedAt: now, sha256: Digest.sha256(bytes).hexString, recipients: [receipt.sender], targets: targets, verdictJSON: "{}",
            bucket: "unsigned", businessType: nil, statusCode: nil, answersDocumentId: messageId, answerJSON: "{\"id\":\"\(id)\"}")
        record.differentBytesAreDuplicates = true // one receipt per delivery, however often it is signed
        if EvidenceLogSwitch.isOn { record.logEntry = EvidenceEvents.accepted(record) }
        _ = try await store.accept(record, payload: bytes)
        return true
    }

    func isoUTCString(_ epoch: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }
}
