import EdXML
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TrucCore
import TrucCrypto
import TrucStore
import TrucSignatures
import NIOFoundationEssentialsCompat
import TrucVocabulary

/// The versioned API (see `openapi.yaml`).
struct HubRoutes: Sendable {
    let store: any MessageStore
    let auth: Authenticator
    let intake: Intake
    let maxBodyBytes: Int
    let bodies: BodyBudget
    let receipts: ReceiptIssuer
    let metrics: HubMetrics
    let minFreeDiskBytes: Int64
    /// The store's state as the node's probe sees it (`/readyz` answers from it without waiting).
    let health: StoreHealth
    let routing: RoutingTable
    let logger: Logger
    let pulls: PullRecorder
    /// What the alerting gauges of /metrics read.
    var gauges: GaugeSources?

    func register(on router: AccessRouter) {
        router.get("/healthz", .public) { _, _ in JSONText.response(["status": "ok"]) }
        router.get("/readyz", .public) { _, _ in
            guard !health.isDown else { throw HubError(.storeUnavailable, "the store does not accept writes (the last probe failed or timed out)") }
            let free = store.freeDiskBytes() ?? 0
            guard free >= minFreeDiskBytes else {
                throw HubError(.diskLow, "\(free) bytes free in the data directory; the threshold is \(minFreeDiskBytes)")
            }
            return JSONText.response(["status": "ready", "freeDiskBytes": "\(free)"])
        }
        router.post("/v1/messages", .agency) { request, context in
            let started = ContinuousClock.now
            do {
                let (response, _) = try await postMessage(request, context)
                metrics.intake(result: response.status == .accepted ? "accepted" : "duplicate", duration: ContinuousClock.now - started)
                return response
            } catch let error as HubError {
                metrics.intake(result: error.code, duration: ContinuousClock.now - started)
                throw error
            }
        }
        router.get("/metrics", .metrics) { request, context in
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try await metrics.render(store: store, sources: gauges))))
        }
        router.get("/v1/inbox", .agency) { request, context in try await inbox(request, context) }
        router.post("/v1/receipts", .peerHub) { request, context in try await relayReceipt(request, context) }
        router.post("/v1/inbox/:id/ack", .agency) { request, context in try await acknowledge(request, context) }
        router.get("/v1/messages/:id", .reader) { request, context in try await fetch(request, context) }
        router.get("/v1/messages/:id/trace", .reader) { request, context in try await trace(request, context) }
        router.get("/v1/messages/:id/validation-report", .reader) { request, context in try await validationReport(request, context) }
        router.get("/v1/messages/:id/validation-data", .reader) { request, context in try await validationData(request, context) }
        router.get("/v1/messages/:id/evidence", .reader) { request, context in try await evidence(request, context) }
        registerLog(on: router)
    }

    func postMessage(_ request: Request, _ context: HubRequestContext) async throws -> (Response, String?) {
        let caller = try context.requireCaller()
        let body = try await bodies.collect(request.body, announced: request.headers[.contentLength].flatMap(Int.init), maxBytes: maxBodyBytes)
        // The hop list is taken from peer hubs only.
        var via: [String] = []
        if case .agency(let agency) = caller, agency.relay, let header = request.headers[HTTPField.Name("Truc-Via")!] {
            via = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let (answer, outcome, json) = try await intake.accept(body, from: try IntakeSender(caller), via: via)
        if outcome == .accepted { metrics.verdict(bucket: answer.signature.bucket.rawValue) }
        logger.info(outcome == .accepted ? "message accepted" : "duplicate message", metadata: [
            "message": "\(answer.id)", "agency": "\(caller.agencyCode ?? "")", "kind": "\(answer.kind)",
            "recipients": "\(answer.recipients.count)", "bucket": "\(answer.signature.bucket.rawValue)"])
        return (Response(status: outcome == .accepted ? .accepted : .ok, headers: [.contentType: "application/json; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: json))), caller.agencyCode)
    }

    func inbox(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let agency = try context.requireAgency()
        let query = request.uri.queryParameters
        let kind = query.get("kind")
        if let kind, kind != "edoc", kind != "status" { throw HubError(.invalidParameter, "kind is edoc or status") }
        guard let after = ASCIINumber.parse(query.get("after") ?? "0", in: 0...Int64.max) else {
            throw HubError(.invalidParameter, "after is a cursor: a whole number in ASCII digits")
        }
        guard let limit = ASCIINumber.parse(query.get("limit") ?? "100", in: 1...1000).map(Int.init) else {
            throw HubError(.invalidParameter, "limit is a whole number from 1 to 1000")
        }
        let items = try await store.inbox(for: agency.code, kind: kind, after: after, limit: limit)
        await pulls.pulled(agency.code, at: Int64(Date().timeIntervalSince1970), store: store, logger: logger)
        struct Page: Encodable {
            let items: [InboxItem]
            let next: Int64?
        }
        return JSONText.response(Page(items: items, next: items.last?.cursor))
    }

    /// The longest reason a recipient may give for refusing a message (it is stored and signed into a receipt).
    static let maxAckReasonBytes = 1_000

    func acknowledge(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let agency = try context.requireAgency()
        let id = try context.parameters.require("id")
        struct Ack: Decodable {
            let outcome: AckOutcome
            let reason: String?
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        let ack: Ack
        do {
            ack = try JSONDecoder().decode(Ack.self, from: Data(buffer: body))
        } catch {
            throw HubError(.invalidBody, "send {\"outcome\":\"done\"} or {\"outcome\":\"fail\",\"reason\":\"…\"}")
        }
        // A refusal by the recipient says why: the sender is told, and must be able to act on it.
        let reason = ack.reason.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        if ack.outcome == .fail, reason == nil {
            throw HubError(.reasonRequired, "a failed acknowledgement needs a reason the sender can act on: {\"outcome\":\"fail\",\"reason\":\"…\"}")
        }
        if let reason, reason.utf8.count > Self.maxAckReasonBytes {
            throw HubError(.reasonTooLong, "the reason has \(reason.utf8.count) bytes; at most \(Self.maxAckReasonBytes)")
        }
        let target: DeliveryState = ack.outcome == .done ? .delivered : .failed
        guard let state = try await store.acknowledge(id, by: agency.code, outcome: ack.outcome, reason: target == .failed ? reason : nil) else {
            throw HubError.notFound("no delivery of message \(id) to \(agency.code)")
        }
        // The first outcome stays. The same acknowledgement again (a retry) is answered as the first was; another
        // one is a conflict that names what was recorded, never a 200 that drops what it says.
        let recorded = try await store.trace(id).first { $0.recipient == agency.code }
        if state != target || (target == .failed && recorded?.reason != reason) {
            throw HubError(.alreadyAcknowledged,
                           "the delivery of \(id) to \(agency.code) was already acknowledged: \(state.rawValue)" + (recorded?.reason.map { " (\($0))" } ?? ""))
        }
        switch state {
        case .delivered: await receipts.issue(messageId: id, recipient: agency.code, how: "pull")
        case .failed: await receipts.issue(messageId: id, recipient: agency.code, how: "pull", refused: reason)
        default: break
        }
        return JSONText.response(["id": id, "state": state.rawValue])
    }

    func fetch(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let message = try await authorisedMessage(id, caller)
        try await refuseIfPurged(message)
        let bytes = try await store.payload(of: message.id, at: message.payloadPath)
        return Response(status: .ok, headers: [.contentType: "application/xml", .init("X-Truc-SHA256")!: message.sha256],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The verdict the hub made at receipt, as ETSI TS 119 102-2 XML signed by the hub (`Accept: application/xml`)
    /// or as JSON (one simple report per signature, with its EN 319 102-1 indication and validation objects).
    func validationReport(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let message = try await authorisedMessage(id, caller)
        let reports = ValidationReports(signer: receipts.signer, hubCode: receipts.hubCode)
        let accept = request.headers[.accept]?.lowercased() ?? ""
        if accept.contains("application/xml") || accept.contains("text/xml") {
            return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8", .init("X-Truc-SHA256")!: message.sha256],
                            body: .init(byteBuffer: ByteBuffer(bytes: try reports.xml(of: message))))
        }
        let verdict = try reports.verdict(of: message)
        struct Report: Encodable {
            let messageId: String
            let sha256: String
            let sender: String
            let documentId: String?
            let validationTime: String?
            let trustSnapshot: String?
            let bucket: SignatureBucket
            let signatures: [SignatureVerdict]
        }
        return JSONText.response(Report(messageId: message.id, sha256: message.sha256, sender: message.sender, documentId: message.documentId,
                                        validationTime: verdict.validationTime, trustSnapshot: verdict.trustSnapshot, bucket: verdict.bucket,
                                        signatures: verdict.signatures))
    }

    /// The validation data the verdict at receipt was made from, as kept: every certificate, CRL, OCSP response
    /// and time-stamp token (DER, base64) and the trust snapshot (its id and contents) — to check the report, or
    /// re-judge the document, without the hub.
    func validationData(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let message = try await authorisedMessage(id, caller)
        let verdict = try ValidationReports(signer: receipts.signer, hubCode: receipts.hubCode).verdict(of: message)
        struct Object: Encodable {
            let sha256: String
            let kind: String
            let der: String
        }
        struct Snapshot: Encodable {
            let id: String
            let contents: String
        }
        struct Kept: Encodable {
            let messageId: String
            let sha256: String
            let validationTime: String?
            let trustSnapshot: Snapshot?
            let objects: [Object]
        }
        let objects = try await store.validationObjects(of: message.id)
        var snapshot: TrustSnapshotRecord?
        if let snapshotId = verdict.trustSnapshot { snapshot = try await store.trustSnapshot(snapshotId) }
        return JSONText.response(Kept(messageId: message.id, sha256: message.sha256, validationTime: verdict.validationTime,
                                       trustSnapshot: snapshot.map { Snapshot(id: $0.id, contents: String(decoding: $0.contents, as: UTF8.self)) },
                                       objects: objects.map { Object(sha256: $0.sha256, kind: $0.kind, der: Data($0.der).base64EncodedString()) }))
    }

    func trace(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try context.parameters.require("id")
        let message = try await authorisedMessage(id, caller)
        struct Trace: Encodable {
            let id: String
            let kind: String
            let sender: String
            let documentId: String?
            let businessType: Int?
            let receivedAt: Int64
            let receivedTime: String
            let bucket: String
            let deliveries: [DeliveryTrace]
            let statuses: [StatusTrace]
            let receipts: [ReceiptTrace]
            /// For a revocation, update or replacement: the original document(s) it acts on.
            let actsOn: [LinkedDocument]?
            /// For an original: the revocations, updates and replacements received for it.
            let actedOnBy: [LinkedDocument]?
        }
        // Links are by the document *and* its sender (a DocumentId belongs to its sender): a stranger reusing the
        // DocumentId text links to nothing of another agency's.
        var statuses: [StatusTrace] = []
        var actsOn: [LinkedDocument]?, actedOnBy: [LinkedDocument]?
        if message.kind == "edoc", let documentId = message.documentId {
            statuses = try await store.statuses(answering: documentId, of: message.id, sender: message.sender)
            if let type = message.businessType, (1...3).contains(type) {
                actsOn = try await store.originals(message.answersDocumentId ?? documentId, sender: message.sender)
            } else {
                actedOnBy = try await store.documentsActingOn(documentId, sender: message.sender)
            }
        }
        var deliveries = try await store.trace(id)
        var receipts = try await store.receipts(for: id)
        // A recipient sees its own copy and the statuses it filed (those addressed to it are in its inbox); the
        // sender (and the operator) see every recipient's.
        if case .agency(let agency) = caller, agency.code != message.sender {
            deliveries = deliveries.filter { $0.recipient == agency.code }
            statuses = statuses.filter { $0.sender == agency.code }
            receipts = []
        }
        return JSONText.response(Trace(id: message.id, kind: message.kind, sender: message.sender, documentId: message.documentId,
                                       businessType: message.businessType, receivedAt: message.receivedAt,
                                       receivedTime: CivilCalendar.vietnamISO(message.receivedAt), bucket: message.bucket,
                                       deliveries: deliveries, statuses: statuses, receipts: receipts,
                                       actsOn: actsOn, actedOnBy: actedOnBy))
    }

    /// A peer hub relays the delivery receipt of a copy it delivered (only relaying peers may). The receipt is
    /// filed only when its signature verifies against the trust store, its signer is the hub it names (that
    /// hub's pinned certificate or identifier, when the directory has one), that hub is the relaying peer or
    /// lies beyond it, and the recipient it names is one this hub reaches through that peer.
    func relayReceipt(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let peer = try context.requireAgency()
        let body = Array(buffer: try await request.body.collect(upTo: 256 * 1024))
        let verified: ReceiptVerifier.Verified
        switch ReceiptVerifier.verify(body, trust: auth.trust, at: Int64(Date().timeIntervalSince1970)) {
        case .success(let v): verified = v
        case .failure(let failure):
            logger.warning("refused a relayed receipt", metadata: ["peer": "\(peer.code)", "reason": "\(failure)"])
            throw HubError(.invalidReceipt, failure.description)
        }
        let receipt = verified.receipt
        if let hub = try await store.agency(receipt.hubCode), hub.certificateSHA256 != nil || hub.certificateIdentifier != nil {
            let pinned = hub.certificateSHA256.map { $0.lowercased() == Digest.sha256(verified.signer.der).hexString } ?? false
            let named = hub.certificateIdentifier.map { verified.signer.identifiers.contains($0) } ?? false
            guard pinned || named else {
                throw HubError(.invalidReceipt, "the receipt names hub \(receipt.hubCode) but is not signed with its certificate")
            }
        }
        // The recipient must be one this hub reaches through the relaying peer.
        guard case .peer(let route) = routing.destination(for: receipt.recipient, local: try await store.agency(receipt.recipient)),
              route.code == peer.code || receipt.hubCode == peer.code else {
            throw HubError(.invalidReceipt, "\(receipt.recipient) is not reached through \(peer.code); it cannot relay its receipt")
        }
        guard try await receipts.relay(body, receipt: receipt) else {
            throw HubError(.unknownDocument, "no document \(receipt.documentId ?? "") from \(receipt.sender) passed this hub, or its sender cannot be reached")
        }
        logger.info("relayed a delivery receipt", metadata: ["hub": "\(receipt.hubCode)", "agency": "\(receipt.sender)", "recipient": "\(receipt.recipient)"])
        return JSONText.response(["relayed": true], status: .accepted)
    }

    /// The message, if the caller is its sender, one of its recipients, or the operator.
    /// `410 gone` for a message whose payload was archived and purged: its SHA-256 and size, the archive that
    /// holds it, when it was purged, and its receipts (their ids; the receipts themselves are kept). Its trace,
    /// verdict, validation report and data stay available.
    func refuseIfPurged(_ message: StoredMessage) async throws {
        guard let purged = message.purged else { return }
        throw HubError.gone(message, purged: purged, archive: try await store.archives(after: purged.archive - 1, limit: 1).first,
                            receipts: try await store.receipts(for: message.id).map(\.receiptId))
    }

    func authorisedMessage(_ id: String, _ caller: Caller) async throws -> StoredMessage {
        guard let message = try await store.message(id) else { throw HubError.notFound("no message \(id)") }
        switch caller {
        case .operatorRole:
            return message
        case .viewer:
            throw HubError.forbidden("a viewer credential reads statistics only")
        case .scraper:
            throw HubError.forbidden("the metrics credential reads /metrics only")
        case .agency(let agency):
            if agency.code != message.sender, !(try await store.recipients(of: id)).contains(agency.code) {
                throw HubError.notFound("no message \(id)") // not revealed to others
            }
            return message
        }
    }
}
