import EdXML
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TrucCore
import TrucCrypto
import TrucLog
package import TrucStore
import TrucZlib
import TrucVocabulary

/// `GET /v1/messages/{id}/evidence` (its sender, its recipients, the operator): the message's evidence bundle
/// (`EvidenceBundle`, docs/evidence-log.md "Evidence bundles") — the exact bytes, the verdict and its report and validation data,
/// the receipts, every event about them with its inclusion proof to the latest checkpoint, that checkpoint's
/// signature, time-stamp and cosignatures, and the log's key.
extension HubRoutes {
    func evidence(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let message = try await authorisedMessage(try context.parameters.require("id"), caller)
        // A purged message's bundle is in its archive (truc archive get --bundle).
        try await refuseIfPurged(message)
        let bundle = try await EvidenceBundleBuilder(store: store, reports: ValidationReports(signer: receipts.signer, hubCode: receipts.hubCode),
                                                     origin: "truc-log/\(receipts.hubCode)", verifierKey: try await verifierKey()).bundle(of: message)
        return Response(status: .ok, headers: [
            .contentType: EvidenceBundle.mediaType, .contentDisposition: "attachment; filename=\"evidence-\(message.id).zip\"",
            .init("X-Truc-SHA256")!: message.sha256,
        ], body: .init(byteBuffer: ByteBuffer(bytes: bundle)))
    }
}

/// Gathers a message's evidence from the store and writes it as a bundle (ZIP, stored entries).
package struct EvidenceBundleBuilder: Sendable {
    let store: any EvidenceLogStore & EvidenceStore & InboxStore & IntakeStore
    let reports: ValidationReports
    let origin: String
    let verifierKey: String
    /// Nodes of the log already read (bundles built one after another share most of their proofs' nodes).
    package var nodeCache: LogNodeCache?

    package init(store: any EvidenceLogStore & EvidenceStore & InboxStore & IntakeStore, reports: ValidationReports, origin: String, verifierKey: String) {
        self.store = store
        self.reports = reports
        self.origin = origin
        self.verifierKey = verifierKey
    }

    package func bundle(of message: StoredMessage) async throws -> [UInt8] {
        try await bundleAndPending(of: message).bundle
    }

    /// The bundle, and how many of the events about the message are not yet under its checkpoint (not proven by it).
    package func bundleAndPending(of message: StoredMessage) async throws -> (bundle: [UInt8], pending: Int) {
        var contents: [String: [UInt8]] = [:]
        contents["message.edxml"] = try await store.payload(of: message.id, at: message.payloadPath)
        contents["verdict.json"] = Array(message.verdictJSON.utf8)
        if let report = try? reports.xml(of: message) { contents["validation-report.xml"] = report }
        for object in try await store.validationObjects(of: message.id) { contents["validation/\(object.kind)-\(object.sha256).der"] = object.der }
        var events = try await store.logEvents(ofMessage: message.id)
        for receipt in try await store.receipts(for: message.id) {
            guard let stored = try await store.message(receipt.receiptId) else { continue }
            contents["receipts/\(stored.id).edxml"] = try await store.payload(of: stored.id, at: stored.payloadPath)
            events += try await store.logEvents(ofMessage: stored.id)
        }
        var pending: [[UInt8]] = []
        let checkpoint = try await store.checkpoint(size: nil)
        if let checkpoint {
            contents["checkpoint.note"] = Array(checkpoint.note.utf8)
            contents["log-key.txt"] = Array((verifierKey + "\n").utf8)
            if let token = checkpoint.timeStampToken { contents["checkpoint.tsr"] = token }
            let cosignatures = try await store.cosignatures(size: checkpoint.size)
            if !cosignatures.isEmpty { contents["cosignatures.txt"] = Array(cosignatures.map { $0.line + "\n" }.joined().utf8) }
        }
        for (index, entry) in events {
            guard let index, let checkpoint, index < checkpoint.size else {
                pending.append(entry)
                continue
            }
            let proof = try await LogProofs.inclusion(of: store, index: index, size: checkpoint.size, cache: nodeCache)
            contents["events/\(index).json"] = entry
            contents["proofs/\(index).json"] = Array(try JSONEncoder().encode(EvidenceBundle.Proof(index: index, size: checkpoint.size, proof: proof)))
        }
        var zip = ZipWriter()
        for (name, bytes) in try EvidenceBundle.files(origin: origin, message: message.id, generated: CivilCalendar.isoUTC(Int64(Date().timeIntervalSince1970)),
                                                      contents: contents, pending: pending) {
            try zip.add(name: name, contents: bytes, deflate: name != "mimetype")
        }
        return (zip.finish(), pending.count)
    }
}
