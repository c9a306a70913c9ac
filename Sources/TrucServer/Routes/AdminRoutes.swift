import EdXML
import Foundation
import Hummingbird
import Logging
import TrucCore
import TrucRevocation
import TrucSignatures
import TrucStore
import NIOFoundationEssentialsCompat
import TrucVocabulary

/// The operator's admin API (operator credential): queues, dead letters and requeueing, pausing delivery
/// to an agency, peer hubs' reachability, and the agency directory with its credentials.
struct AdminRoutes: Sendable {
    let store: any CredentialStore & DeliveryQueueStore & DirectoryStore & EvidenceStore & EvidenceLogStore & IntakeStore & OperationsStore & SealStore
    let peers: PeerStatusBoard
    let trust: TrustState
    let routing: RoutingTable
    let logger: Logger

    func register(on router: AccessRouter) {
        router.get("/v1/admin/deliveries", .operatorOnly) { request, context in try await adminDeliveries(request, context) }
        router.post("/v1/admin/deliveries/:id/:recipient/requeue", .operatorOnly) { request, context in try await adminRequeue(request, context) }
        router.get("/v1/admin/queues", .operatorOnly) { request, context in
            return JSONText.response(try await store.operationsView(now: Int64(Date().timeIntervalSince1970)))
        }
        router.get("/v1/admin/peers", .operatorOnly) { request, context in
            return JSONText.response(["peers": await peers.snapshot()])
        }
        router.post("/v1/admin/trust/reload", .operatorOnly) { _, _ in
            do {
                try trust.reload()
            } catch {
                logger.error("cannot reload the trust directory; the previous one stays in use", metadata: ["error": "\(error)"])
                throw HubError(.trustUnreadable, "the trust directory \(trust.directory) does not load (\(error)); the previous one stays in use")
            }
            let summary = trust.summary
            try await store.appendLogEvent(EvidenceEvents.trustReloaded(summary, via: "api"))
            logger.notice("reloaded the trust directory (admin API)", metadata: summary.logMetadata)
            return JSONText.response(summary)
        }
        router.get("/v1/admin/trust", .operatorOnly) { _, _ in
            JSONText.response(trust.summary)
        }
        router.get("/v1/admin/revocation", .operatorOnly) { _, _ in
            JSONText.response(RevocationView(trust.revocation))
        }
        router.post("/v1/admin/revalidate", .operatorOnly) { request, context in try await revalidate(request, context) }
        router.post("/v1/admin/agencies/:code/requeue", .operatorOnly) { request, context in
            let code = try await deliverableCode(context)
            let n = try await store.requeueAll(recipient: code)
            logger.notice("operator requeued dead deliveries", metadata: ["agency": "\(code)", "count": "\(n)"])
            return JSONText.response(DeliveryControl(agency: code, requeued: n))
        }
        router.post("/v1/admin/agencies/:code/pause", .operatorOnly) { request, context in
            let code = try await deliverableCode(context)
            try await store.pause(code)
            logger.notice("operator paused delivery", metadata: ["agency": "\(code)"])
            return JSONText.response(DeliveryControl(agency: code, paused: true))
        }
        router.post("/v1/admin/agencies/:code/resume", .operatorOnly) { request, context in
            let code = try context.parameters.require("code")
            guard try await store.resume(code) else { throw HubError.notFound("delivery to \(code) is not paused") }
            logger.notice("operator resumed delivery", metadata: ["agency": "\(code)"])
            return JSONText.response(DeliveryControl(agency: code, paused: false))
        }
        router.get("/v1/admin/agencies", .operatorOnly) { request, context in
            return JSONText.response(["agencies": try await store.agencies()])
        }
        router.get("/v1/admin/agencies/:code", .operatorOnly) { request, context in
            let code = try context.parameters.require("code")
            guard let agency = try await store.agency(code) else { throw HubError.notFound("no agency \(code)") }
            return JSONText.response(agency)
        }
        router.put("/v1/admin/agencies/:code", .operatorOnly) { request, context in try await putAgency(request, context) }
        router.delete("/v1/admin/agencies/:code", .operatorOnly) { request, context in
            let code = try context.parameters.require("code")
            guard try await store.removeAgency(code) else { throw HubError.notFound("no agency \(code)") }
            logger.notice("operator removed an agency", metadata: ["agency": "\(code)"])
            return Response(status: .noContent)
        }
        // The organisation certificates whose seal counts as the agency's own (docs/statistics.md "Signed-ratio definition").
        router.get("/v1/admin/agencies/:code/seals", .operatorOnly) { request, context in
            let code = try context.parameters.require("code")
            guard let agency = try await store.agency(code) else { throw HubError.notFound("no agency \(code)") }
            return JSONText.response(Seals(agency: code, seals: try await store.seals(of: code), tls: agency))
        }
        router.put("/v1/admin/agencies/:code/seals", .operatorOnly) { request, context in
            let code = try context.parameters.require("code")
            struct Body: Decodable { let seals: [String] }
            let bytes = try await request.body.collect(upTo: 64 * 1024)
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer: bytes)) else {
                throw HubError(.invalidBody, "send {\"seals\":[\"MST:…\", \"sha256:<hex>\", …]} (an empty list unbinds every seal)")
            }
            let seals: [String]
            switch SealBinding.normalised(body.seals) {
            case .success(let values): seals = values
            case .failure(let problem): throw HubError(.invalidSeal, problem.description)
            }
            guard let agency = try await store.agency(code) else { throw HubError.notFound("no agency \(code)") }
            try await store.setSeals(seals, of: code)
            logger.notice("operator bound seals", metadata: ["agency": "\(code)", "seals": "\(seals.count)"])
            return JSONText.response(Seals(agency: code, seals: seals, tls: agency))
        }
        router.post("/v1/admin/agencies/:code/tokens", .operatorOnly) { request, context in
            let code = try context.parameters.require("code")
            let role = request.uri.queryParameters.get("role") ?? "agency"
            guard role == "agency" || role == "viewer" else { throw HubError(.invalidParameter, "role is agency or viewer") }
            do {
                let token = role == "viewer" ? try await store.issueViewerToken(for: code) : try await store.issueToken(for: code)
                logger.notice("operator issued a token", metadata: ["agency": "\(code)", "role": "\(role)"]) // never the token
                return JSONText.response(["agency": code, "role": role, "token": token], status: .created)
            } catch let error as StoreError {
                throw HubError.notFound(error.description)
            }
        }
        // Revokes the agency's tokens (`?role=agency|viewer`; without it, every token): a leaked token is revoked
        // this way, then a new one issued.
        router.delete("/v1/admin/agencies/:code/tokens", .operatorOnly) { request, context in
            let code = try context.parameters.require("code")
            let role: String? = request.uri.queryParameters.get("role").map { String($0) }
            guard role == nil || role == "agency" || role == "viewer" else {
                throw HubError(.invalidParameter, "role is agency or viewer (or absent: every token)")
            }
            do {
                let revoked = try await store.revokeTokens(of: code, role: role)
                logger.notice("operator revoked tokens", metadata: ["agency": "\(code)", "role": "\(role ?? "all")", "revoked": "\(revoked)"])
                return JSONText.response(RevokedTokens(agency: code, role: role ?? "all", revoked: revoked))
            } catch let error as StoreError {
                throw HubError.notFound(error.description)
            }
        }
    }

    /// An agency's bound seals, and whether any certificate is bound at all (its TLS client certificate's
    /// identifier or fingerprint counts too).
    struct Seals: Encodable {
        let agency: String
        let seals: [String]
        let tlsCertificateIdentifier: String?
        let tlsCertificateSHA256: String?
        let bound: Bool

        init(agency: String, seals: [String], tls: Agency) {
            self.agency = agency
            self.seals = seals
            tlsCertificateIdentifier = tls.certificateIdentifier
            tlsCertificateSHA256 = tls.certificateSHA256
            bound = !seals.isEmpty || tls.certificateIdentifier != nil || tls.certificateSHA256 != nil
        }
    }

    /// The answer of pause, resume and requeue (booleans and numbers as JSON's, not strings).
    struct DeliveryControl: Encodable {
        let agency: String
        var paused: Bool?
        var requeued: Int?
        init(agency: String, paused: Bool? = nil, requeued: Int? = nil) {
            self.agency = agency
            self.paused = paused
            self.requeued = requeued
        }
    }

    /// The path's code when the hub delivers to it: a registered agency, or a code a route leads to (an agency
    /// behind a peer hub). Anything else is 404: pausing a typo would look like it worked.
    func adminDeliveries(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let state = request.uri.queryParameters.get("state") ?? "dead"
        let filter = state == "all" ? nil : DeliveryState(rawValue: state)
        if state != "all" && filter == nil { throw HubError(.invalidParameter, "unknown state \(state)") }
        return JSONText.response(["deliveries": try await store.deliveries(state: filter)])
    }

    func adminRequeue(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let id = try context.parameters.require("id"), recipient = try context.parameters.require("recipient")
        guard try await store.requeue(messageId: id, recipient: recipient) else {
            throw HubError.notFound("no dead delivery of \(id) to \(recipient)")
        }
        return JSONText.response(["id": id, "recipient": recipient, "state": DeliveryState.queued.rawValue])
    }

    func deliverableCode(_ context: HubRequestContext) async throws -> String {
        let code = try context.parameters.require("code")
        if try await store.agency(code) != nil { return code }
        if case .peer = routing.destination(for: code, local: nil) { return code }
        throw HubError(.unknownAgency, "no agency \(code) is registered here and no route leads to it")
    }

    struct RevokedTokens: Encodable {
        let agency: String
        let role: String
        let revoked: Int
    }

    /// Re-judges the documents received in a period from the data kept with them (no network), at receipt or
    /// now, under the trust snapshot each verdict names (`"trust":"kept"`) or the hub's current trust directory
    /// (`"current"`); reports what changed, changes nothing. At most `Revalidation.maxDocuments` documents.
    func revalidate(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        struct Body: Decodable {
            let from: String
            let to: String
            let at: String?
            let trust: String?
        }
        let bytes = try await request.body.collect(upTo: 64 * 1024)
        guard let body = try? JSONDecoder().decode(Body.self, from: Data(buffer: bytes)) else {
            throw HubError(.invalidBody, "send {\"from\":\"yyyy-MM-dd\",\"to\":\"yyyy-MM-dd\",\"at\":\"receipt\"|\"now\",\"trust\":\"kept\"|\"current\"}")
        }
        let range: DayRange
        switch DayRange.parse(from: body.from, to: body.to) {
        case .success(let parsed): range = parsed
        case .failure(let problem): throw HubError(.invalidDate, problem.description)
        }
        guard let moment = Revalidation.Moment(rawValue: body.at ?? "receipt") else { throw HubError(.invalidParameter, "at is receipt or now") }
        guard ["kept", "current"].contains(body.trust ?? "kept") else { throw HubError(.invalidParameter, "trust is kept or current") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("truc-revalidate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let (start, end) = Revalidation.period(range)
        let outcomes = try await Revalidation(store: store, policy: trust.verifier.policy, trustDirectory: body.trust == "current" ? trust.directory : nil,
                                              scratch: scratch).run(from: start, to: end, at: moment)
        logger.notice("operator re-validated a period", metadata: ["from": "\(range.from)", "to": "\(range.to)", "at": "\(moment.rawValue)",
                                                                  "documents": "\(outcomes.count)"])
        return JSONText.response(Revalidation.Report(range: range, at: moment, outcomes: outcomes))
    }

    func putAgency(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let code = try context.parameters.require("code")
        struct Body: Decodable {
            let name: String
            let parent: String?
            let certificateIdentifier: String?
            let certificateSHA256: String?
            let pushURL: String?
            let relay: Bool?
        }
        let bytes = try await request.body.collect(upTo: 64 * 1024)
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(buffer: bytes))
        } catch {
            throw HubError(.invalidBody, "send {\"name\":\"…\"} with optional parent, certificateIdentifier, certificateSHA256, pushURL, relay")
        }
        let agency: Agency
        do {
            agency = try Agency(code: code, name: body.name, parent: body.parent, certificateIdentifier: body.certificateIdentifier,
                                certificateSHA256: body.certificateSHA256?.lowercased(), pushURL: body.pushURL, relay: body.relay ?? false).validated()
        } catch {
            throw HubError(.malformedAgencyCode, error.description)
        }
        if let problem = agency.fieldProblem { throw HubError(.invalidAgency, problem) }
        let existed = try await store.agency(code) != nil
        try await store.upsert(agency)
        logger.notice("operator registered an agency", metadata: ["agency": "\(code)"])
        return JSONText.response(agency, status: existed ? .ok : .created)
    }
}

/// `GET /v1/admin/revocation`: how revocation is decided and what the network source holds — per OCSP
/// responder and CRL URL the cache hits and misses, fetches, failures and mean fetch time; each fetched CRL's
/// age and nextUpdate.
struct RevocationView: Encodable {
    struct Source: Encodable {
        let url: String
        let hits: Int
        let misses: Int
        let fetches: Int
        let failures: Int
        let meanFetchSeconds: Double?
    }

    struct FetchedCRL: Encodable {
        let url: String
        let issuer: String
        let thisUpdate: String
        let nextUpdate: String?
        let fetchedTime: String
        let ageSeconds: Int64
    }

    let mode: String
    let sources: [Source]
    let crls: [FetchedCRL]

    init(_ source: any RevocationSource) {
        guard let network = source as? NetworkRevocation else {
            mode = RevocationMode.offline.rawValue
            sources = []
            crls = []
            return
        }
        let now = Int64(Date().timeIntervalSince1970)
        mode = network.configuration.mode.rawValue
        sources = network.responders.sorted { $0.key < $1.key }.map { url, s in
            Source(url: url, hits: s.hits, misses: s.misses, fetches: s.fetches, failures: s.failures,
                   meanFetchSeconds: s.fetches > 0 ? s.fetchSeconds / Double(s.fetches) : nil)
        }
        crls = network.crlStates.map {
            FetchedCRL(url: $0.url, issuer: $0.issuer, thisUpdate: CivilCalendar.vietnamISO($0.thisUpdate), nextUpdate: $0.nextUpdate.map(CivilCalendar.vietnamISO),
                       fetchedTime: CivilCalendar.vietnamISO($0.fetchedAt), ageSeconds: now - $0.thisUpdate)
        }
    }
}
