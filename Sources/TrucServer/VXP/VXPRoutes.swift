import EdXML
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TrucCore
import TrucCrypto
import TrucStore
import TrucVXP
import TrucSignatures
import NIOFoundationEssentialsCompat
import TrucVocabulary

/// The national hub's SDK dialect (vxp-wire.md): nine `POST {prefix}/{operation}` calls authenticated by
/// HMAC-signed headers, answered with the JSON the SDK reads — always HTTP 200, ASCII-only, `status`,
/// `ErrorCode` and `ErrorDesc` present, never a null. The calls work on the same store, intake, delivery
/// and receipts as the native API.
struct VXPRoutes: Sendable {
    let store: any ClientSystemStore & InboxStore & IntakeStore & OperationsStore & RetentionStore
    let intake: Intake
    let receipts: ReceiptIssuer
    let metrics: HubMetrics
    let maxBodyBytes: Int
    let bodies: BodyBudget
    let prefix: String
    let hubCode: String
    let logger: Logger
    let pulls: PullRecorder
    /// False on the plain-HTTP listener unless the operator enabled state changes there (`--vxp-http-writes`).
    var allowStateChanges = true
    /// Headers already seen, with the operation each first authorised (the store keeps them all; this
    /// spares a write for the headers an SDK client repeats on every poll).
    let seenHeaders = SeenHeaders()

    func register(on router: AccessRouter) {
        for operation in VXPOperation.allCases {
            router.post(prefix + "/" + operation.rawValue, .vxp) { request, context in
                await handle(operation, request, context)
            }
        }
    }

    /// Authenticates, runs the operation, and turns every outcome into the SDK's answer shape.
    func handle(_ operation: VXPOperation, _ request: Request, _ context: HubRequestContext) async -> Response {
        let header: (String) -> [String] = { name in HTTPField.Name(name).map { request.headers[values: $0] } ?? [] }
        var log = logger
        log[metadataKey: "vxp"] = "\(operation.rawValue)"
        let answer: VXPValue
        do {
            let credentials = try VXPAuth.credentials(header: header)
            log[metadataKey: "system"] = "\(credentials.systemId)"
            guard let (system, secret) = try await store.system(credentials.systemId) else {
                throw VXPFailure(401, "unknown-system", "no client system \(credentials.systemId) is registered at this hub")
            }
            let call = try VXPAuth.verify(credentials, secret: secret, used: operation.usedParameters, header: header)
            try await checkReuse(operation, credentials, system)
            answer = try await run(operation, call, system, request)
            log.info("vxp call answered")
            metrics.vxp(operation: operation.rawValue, result: "ok")
        } catch let failure as VXPFailure {
            log.notice("vxp call refused", metadata: ["code": "\(failure.code)", "reason": "\(failure.reason)"])
            metrics.vxp(operation: operation.rawValue, result: failure.code)
            answer = VXPAnswer.failure(failure)
        } catch let error as HubError {
            log.notice("vxp call refused", metadata: ["code": "\(error.code)"])
            metrics.vxp(operation: operation.rawValue, result: error.code)
            answer = VXPAnswer.failure(VXPFailure(Int(error.status.code), error.code, error.message))
        } catch {
            log.error("vxp call failed", metadata: ["error": "\(error)"])
            metrics.vxp(operation: operation.rawValue, result: "internal")
            answer = VXPAnswer.failure(VXPFailure(500, "internal", "the hub could not complete the call"))
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: answer.asciiJSON)))
    }

    /// The SDK's HMAC covers neither the operation nor registerAgency's body, and its timestamp is fixed for
    /// the life of a client: captured headers verify on every path. A header is bound to the operation it
    /// first authorised, and never authorises a different state-changing one; state changes over the plain
    /// listener only when the operator enabled them; directory changes only for systems allowed to make them.
    func checkReuse(_ operation: VXPOperation, _ credentials: VXPAuth.Credentials, _ system: ClientSystem) async throws {
        if operation.changesState && !allowStateChanges {
            throw VXPFailure(403, "read-only-listener", "\(operation.rawValue) changes the hub's state; this plain-HTTP listener serves only reads (use HTTPS, or start the hub with --vxp-http-writes)")
        }
        if operation == .registerAgency || operation == .deleteAgency, !system.directoryChanges {
            throw VXPFailure(403, "directory-changes-not-allowed", "system \(system.id) may not change the directory; the operator allows it with truc systems add \(system.id) --allow-directory-changes")
        }
        let hash = credentials.hashHeader.lowercased()
        let first: String
        if let known = seenHeaders.operation(hash) {
            first = known
        } else {
            first = try await store.vxpHeaderFirstUse(hash: hash, system: system.id, operation: operation.rawValue, at: Int64(Date().timeIntervalSince1970))
            seenHeaders.remember(hash, first)
        }
        if first != operation.rawValue && operation.changesState {
            throw VXPFailure(401, "header-reused", "these signed headers first authorised \(first); they cannot authorise \(operation.rawValue) (sign a new request)")
        }
    }

    func run(_ operation: VXPOperation, _ call: VXPRequest, _ system: ClientSystem, _ request: Request) async throws -> VXPValue {
        switch operation {
        case .sendEdoc: try await sendEdoc(call, system, request)
        case .getReceivedEdocList: try await receivedList(call, system)
        case .getEdoc: try await getEdoc(call, system)
        case .updateStatus: try await updateStatus(call, system)
        case .getSentEdocList: try await sentList(call, system)
        case .getAgenciesList: try await agencies(synchronize: false)
        case .getSynchronizeUnit: try await agencies(synchronize: true)
        case .registerAgency: try await registerAgency(system, request)
        case .deleteAgency: try await deleteAgency(call, system)
        }
    }

    // MARK: Documents

    func sendEdoc(_ call: VXPRequest, _ system: ClientSystem, _ request: Request) async throws -> VXPValue {
        let whole: [UInt8]
        do {
            whole = try await bodies.collect(request.body, announced: request.headers[.contentLength].flatMap(Int.init), maxBytes: maxBodyBytes + 2)
        } catch let error as HubError where error.code == "too-large" {
            throw VXPFailure(413, "too-large", "the body exceeds \(maxBodyBytes) bytes")
        }
        guard let hashFile = call.parameter("hash-file") else {
            throw VXPFailure(400, "missing-hash-file", "XroadVnpt-hash-file (the SHA-256 of the file) is required; it is what authenticates the body")
        }
        // The SDK appends CRLF to the file; the hash is of the file.
        var file = whole
        if file.suffix(2) == [13, 10] { file.removeLast(2) }
        if !VXPHashFile.matches(hashFile, digest: TrucCrypto.Digest.sha256(file)) {
            guard VXPHashFile.matches(hashFile, digest: TrucCrypto.Digest.sha256(whole)) else {
                throw VXPFailure(400, "hash-file-mismatch", "XroadVnpt-hash-file does not match the SHA-256 of the body")
            }
            file = whole
        }
        guard file.count <= maxBodyBytes else { throw VXPFailure(413, "too-large", "the file exceeds \(maxBodyBytes) bytes") }
        let sender = IntakeSender(name: "system \(system.id)", codes: Set(system.agencies), relay: false)
        let (answer, outcome, _) = try await intake.accept(file, from: sender)
        if outcome == .accepted { metrics.verdict(bucket: answer.signature.bucket.rawValue) }
        return VXPAnswer.success([("DocId", .string(answer.id))])
    }

    func receivedList(_ call: VXPRequest, _ system: ClientSystem) async throws -> VXPValue {
        let kind = call.parameter("messagetype")
        if let kind, kind != "edoc", kind != "status" { throw VXPFailure(400, "invalid-parameter", "messagetype is edoc or status") }
        var items: [InboxItem] = []
        for agency in system.agencies {
            // Receipts are Truc's own documents, not edXML: the native API lists them, this dialect does not.
            items += try await store.inbox(for: agency, kind: kind, after: 0, limit: 500, includeReceipts: false)
            await pulls.pulled(agency, at: Int64(Date().timeIntervalSince1970), store: store, logger: logger)
        }
        items.sort { $0.cursor < $1.cursor }
        return VXPAnswer.success([("data", .array(items.prefix(500).map { item in
            VXPAnswer.item([
                ("docId", item.messageId), ("serviceType", "eDoc"), ("messageType", item.kind == "edoc" ? "edoc" : "status"),
                ("created_time", Self.time(item.receivedAt)), ("updated_time", Self.time(item.receivedAt)),
                ("from", item.sender), ("to", item.recipient), ("status", "initial"), ("status_desc", "Khởi tạo"),
            ])
        }))])
    }

    func getEdoc(_ call: VXPRequest, _ system: ClientSystem) async throws -> VXPValue {
        guard let id = call.parameter("docId") ?? call.parameter("docid") else {
            throw VXPFailure(400, "missing-docid", "XroadVnpt-docId is required")
        }
        let message = try await visibleMessage(id, system)
        if let purged = message.purged {
            throw VXPFailure(410, "gone", "the payload of \(id) was archived (archive \(purged.archive)) and purged at \(CivilCalendar.isoUTC(purged.at)); SHA-256 \(message.sha256)")
        }
        let bytes = try await store.payload(of: message.id, at: message.payloadPath)
        return VXPAnswer.success([("data", .string(Data(bytes).base64EncodedString()))])
    }

    func updateStatus(_ call: VXPRequest, _ system: ClientSystem) async throws -> VXPValue {
        // After a getEdoc for A, the SDK's updateStatus for B carries docId: A and docid: B (vxp-wire.md §3.3).
        guard let id = call.parameter("docid") ?? call.parameter("docId") else {
            throw VXPFailure(400, "missing-docid", "XroadVnpt-docid is required")
        }
        let status = call.parameter("status")?.lowercased()
        guard let status, ["done", "fail", "processing"].contains(status) else {
            throw VXPFailure(400, "invalid-parameter", "XroadVnpt-status is done, fail or processing")
        }
        let recipients = Set(try await store.recipients(of: id)).intersection(system.agencies).sorted()
        guard !recipients.isEmpty else { throw VXPFailure(404, "not-found", "no message \(id) waits for this system's agencies") }
        if status == "processing" {
            // Recorded: the sender sees it (getSentEdocList receiveStatus processing; the native trace's progress).
            for recipient in recipients { _ = try await store.markProgress(id, by: recipient, progress: "processing") }
            return VXPAnswer.success()
        }
        for recipient in recipients {
            let state = try await store.acknowledge(id, by: recipient, outcome: status == "done" ? .done : .fail,
                                                    reason: status == "fail" ? "reported fail by system \(system.id)" : nil)
            if state == .delivered { await receipts.issue(messageId: id, recipient: recipient, how: "pull") }
            if state == .failed { await receipts.issue(messageId: id, recipient: recipient, how: "pull", refused: "reported fail by system \(system.id)") }
        }
        return VXPAnswer.success()
    }

    func sentList(_ call: VXPRequest, _ system: ClientSystem) async throws -> VXPValue {
        guard let id = call.parameter("docId") ?? call.parameter("docid") else {
            // Without a docId: the rows of the system's 50 latest documents (possibly none), never a failure.
            var rows: [VXPValue] = []
            for recent in try await store.recentSent(by: system.agencies, limit: 50) { rows += try await sentRows(recent, system) }
            return VXPAnswer.success([("data", .array(rows))])
        }
        return VXPAnswer.success([("data", .array(try await sentRows(id, system)))])
    }

    /// One row per recipient of a document the system's agencies sent.
    func sentRows(_ id: String, _ system: ClientSystem) async throws -> [VXPValue] {
        guard let message = try await store.message(id), system.agencies.contains(message.sender) else {
            throw VXPFailure(404, "not-found", "no message \(id) was sent by this system's agencies")
        }
        let (title, notation) = message.purged != nil ? (nil, nil) : Self.titleAndNotation(try await store.payload(of: message.id, at: message.payloadPath))
        return try await store.trace(id).map { d in
            let (receive, receiveDesc) = Self.receiveStatus(d)
            return VXPAnswer.item([
                ("senderDocId", message.id), ("receiverDocId", message.id), ("fromCode", message.sender), ("toCode", d.recipient),
                ("title", title ?? ""), ("notation", notation ?? ""), ("messageType", message.kind), ("serviceType", "eDoc"),
                ("sendStatus", "done"), ("sendStatusDesc", "Truc accepted and stored the message"),
                ("receiveStatus", receive), ("receiveStatusDesc", receiveDesc),
                ("sentTime", Self.time(message.receivedAt)), ("receivedTime", d.deliveredAt.map(Self.time) ?? ""),
            ])
        }
    }

    /// The message, if one of the system's agencies sent or receives it; otherwise not revealed.
    func visibleMessage(_ id: String, _ system: ClientSystem) async throws -> StoredMessage {
        guard let message = try await store.message(id) else { throw VXPFailure(404, "not-found", "no message \(id)") }
        if !system.agencies.contains(message.sender), Set(try await store.recipients(of: id)).isDisjoint(with: system.agencies) {
            throw VXPFailure(404, "not-found", "no message \(id)")
        }
        return message
    }

    // MARK: Agencies

    func agencies(synchronize: Bool) async throws -> VXPValue {
        let everything = try await store.directory()
        let directory = everything.filter { !$0.agency.relay }
        if synchronize {
            // Every entry's latest change, deletions included: the version grows with each change, so a
            // client that keeps the highest version it saw learns of new, changed and removed agencies.
            let current = Dictionary(directory.map { ($0.agency.code, $0) }, uniquingKeysWith: { a, _ in a })
            let relays = Set(everything.filter(\.agency.relay).map(\.agency.code))
            let changes = try await store.directoryChanges().filter { !relays.contains($0.code) }
            return VXPAnswer.success([("data", .array(changes.map { change in
                let entry = current[change.code]
                return .object([
                    ("id", .string(change.code)), ("pid", .string(change.parent ?? "")), ("code", .string(change.code)),
                    ("name", .string(change.name)), ("mail", .string(entry?.mail ?? "")),
                    ("centerCode", .string(entry?.system ?? hubCode)), ("modifyDate", .string(Self.time(change.at))),
                    ("version", .int(Int(change.version))), ("deleted", .bool(change.deleted || entry == nil)), ("isAgency", .bool(true)),
                ])
            }))])
        }
        return VXPAnswer.success([("data", .array(directory.map { entry in
            let members: [(String, VXPValue)] = [
                ("id", .string(entry.agency.code)), ("pid", .string(entry.agency.parent ?? "")), ("code", .string(entry.agency.code)),
                ("name", .string(entry.agency.name)), ("mail", .string(entry.mail ?? "")),
            ]
            return .object(members)
        }))])
    }

    func registerAgency(_ system: ClientSystem, _ request: Request) async throws -> VXPValue {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw VXPFailure(400, "invalid-body", "the body is not a JSON object such as {\"code\":\"…\",\"name\":\"…\",\"pcode\":\"<systemid>\"}")
        }
        func text(_ key: String) -> String? { (object[key] as? String).flatMap { $0.isEmpty ? nil : $0 } }
        guard let code = text("code"), let name = text("name") else {
            throw VXPFailure(400, "invalid-body", "code and name are required")
        }
        if let pcode = text("pcode"), pcode != system.id {
            throw VXPFailure(403, "forbidden", "a system registers agencies under itself: pcode must be \(system.id)")
        }
        let agency: Agency
        do {
            agency = try Agency(code: code, name: name).validated()
        } catch {
            throw VXPFailure(400, "invalid-agency-code", "\(code): \(error)")
        }
        // A system registers only below the agencies it acts for (by the code hierarchy), never a code a route
        // of this hub sends to a peer hub: a local registration would win over the route and take that
        // agency's documents. (The operator's API and CLI may register anything.)
        let implied = Hierarchy(parents: [:])
        guard system.agencies.contains(where: { implied.isWithin(agency.code, of: $0) }) else {
            throw VXPFailure(403, "outside-subtree", "\(agency.code) is not below the agencies system \(system.id) acts for (\(system.agencies.joined(separator: ", ")))")
        }
        if let peer = intake.routing.explicitRoute(for: agency.code) {
            throw VXPFailure(403, "served-elsewhere", "\(agency.code) is reached through peer hub \(peer.code); a system cannot register it here")
        }
        do {
            try await store.registerAgency(agency, mail: text("mail"), for: system.id)
        } catch let error as StoreError {
            throw VXPFailure(403, "forbidden", error.description)
        }
        return VXPAnswer.success()
    }

    func deleteAgency(_ call: VXPRequest, _ system: ClientSystem) async throws -> VXPValue {
        guard let code = call.parameter("AgencyCode") else { throw VXPFailure(400, "missing-agency-code", "XroadVnpt-AgencyCode is required") }
        do {
            _ = try await store.deleteAgency(code, for: system.id)
        } catch let error as StoreError {
            throw VXPFailure(403, "forbidden", error.description)
        }
        return VXPAnswer.success()
    }

    // MARK: helpers

    /// `yyyy-MM-dd HH:mm:ss` in Vietnam time.
    static func time(_ epoch: Int64) -> String { CivilCalendar.vietnamDateTime(epoch) }

    static func receiveStatus(_ d: DeliveryTrace) -> (String, String) {
        switch DeliveryState(rawValue: d.state) {
        case .delivered: ("done", "delivered (\(d.how ?? "pull"))")
        case .failed: ("fail", d.reason ?? "the recipient reported fail")
        case .dead: ("fail", "undeliverable: \(d.reason ?? "")")
        case .sending, .waitingRetry: ("processing", d.state)
        case _ where d.progress == "processing": ("processing", "the recipient is processing it")
        default: ("initial", d.state)
        }
    }

    /// The document's subject and number/notation, read from the stored bytes (documents only).
    static func titleAndNotation(_ bytes: [UInt8]) -> (String?, String?) {
        guard let parsed = try? EdXMLReader.read(bytes),
              case .document(let d) = parsed.message else { return (nil, nil) }
        return (d.header.subject, d.header.code?.display)
    }
}

/// A bounded in-memory copy of the `vxp_headers` table's recent rows.
final class SeenHeaders: Sendable {
    static let capacity = 100_000
    private let entries = NIOLockedValueBox<[String: String]>([:])

    func operation(_ hash: String) -> String? { entries.withLockedValue { $0[hash] } }

    func remember(_ hash: String, _ operation: String) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = operation
        }
    }
}
