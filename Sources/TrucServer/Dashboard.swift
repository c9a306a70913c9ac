import EdXML
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TrucCore
import TrucCrypto
import TrucStore

/// Operator sessions of the dashboard: a random id in an HttpOnly, Secure, SameSite=Strict cookie, with a
/// per-session CSRF token that every form posts back. Kept in the store (by the id's SHA-256): a restart keeps
/// operators logged in, and every node of a hub behind a load balancer knows every session.
struct DashboardSessions: Sendable {
    let store: any SessionStore
    static let lifetime: TimeInterval = 8 * 3600

    func create() async throws -> (id: String, csrf: String) {
        let id = try secureRandomBytes(32).hexString, csrf = try secureRandomBytes(16).hexString
        try await store.createSession(idHash: Self.hash(id), csrf: csrf, expires: Int64(Date().addingTimeInterval(Self.lifetime).timeIntervalSince1970))
        return (id, csrf)
    }

    func csrf(for id: String) async throws -> String? {
        // Ids are 64 hex digits: anything else is no session (and costs no lookup).
        guard id.utf8.count == 64, id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return try await store.sessionCSRF(idHash: Self.hash(id), now: Int64(Date().timeIntervalSince1970))
    }

    func end(_ id: String) async throws { try await store.endSession(idHash: Self.hash(id)) }

    static func hash(_ id: String) -> String { Digest.sha256(Array(id.utf8)).hexString }
}

/// The dashboard's 30-day signed-ratio report, recomputed at most once a minute (at national scale it
/// aggregates every agency's counters for the month).
actor RatioCache {
    private var cached: (at: Date, version: String, report: SignedRatioReport)?

    func report(version: String, compute: () async throws -> SignedRatioReport) async throws -> SignedRatioReport {
        if let cached, cached.version == version, Date().timeIntervalSince(cached.at) < 60 { return cached.report }
        let fresh = try await compute()
        cached = (Date(), version, fresh)
        return fresh
    }
}

/// `GET /`: the operator's dashboard (queues, traffic, oldest undelivered, peer hubs, dead letters with
/// Requeue, pause/resume per agency, message lookup, the signed-ratio table and chart of the last 30 days).
struct DashboardRoutes: Sendable {
    let store: any MessageStore
    let auth: Authenticator
    let peers: PeerStatusBoard
    let directory: DirectoryCache
    let sessions: DashboardSessions
    let ratios = RatioCache()
    let hubCode: String
    let logger: Logger

    static let cookie = "truc_session"
    static let accessOff = "Truy cập vận hành đang tắt / operator access is off: start the hub with --operator-token or TRUC_OPERATOR_TOKEN"

    func register(on router: AccessRouter) {
        router.get("/", .public) { request, context in try await page(request, context) }
        router.post("/login", .public) { request, context in try await login(request, context) }
        router.post("/logout", .dashboard) { request, context in
            let (id, _) = try await session(request, form: try await form(request))
            try await sessions.end(id)
            return redirect("/", setCookie: "\(Self.cookie)=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
        }
        router.post("/dashboard/requeue", .dashboard) { request, context in
            let fields = try await form(request)
            _ = try await session(request, form: fields)
            guard let message = fields["message"], let recipient = fields["recipient"] else {
                throw HubError(.badRequest, "invalid-body", "message and recipient are required")
            }
            let done = try await store.requeue(messageId: message, recipient: recipient)
            logger.notice("operator requeued a delivery (dashboard)", metadata: ["message": "\(message)", "recipient": "\(recipient)"])
            return redirect("/?notice=" + (done ? "requeued \(message) → \(recipient)" : "no dead delivery of \(message) to \(recipient)").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        }
        for action in ["pause", "resume"] {
            router.post("/dashboard/" + action, .dashboard) { request, context in
                let fields = try await form(request)
                _ = try await session(request, form: fields)
                guard let agency = fields["agency"], !agency.isEmpty else { throw HubError(.badRequest, "invalid-body", "agency is required") }
                if action == "pause" { try await store.pause(agency) } else { try await store.resume(agency) }
                logger.notice("operator \(action)d delivery (dashboard)", metadata: ["agency": "\(agency)"])
                return redirect("/?notice=" + "\(action)d delivery to \(agency)".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            }
        }
    }

    func page(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let id = cookie(request), let csrf = try await sessions.csrf(for: id) else {
            return html(DashboardPage.login(error: auth.operatorTokenHash == nil ? Self.accessOff : nil))
        }
        let q = request.uri.queryParameters
        let now = Int64(Date().timeIntervalSince1970)
        let today = CivilCalendar.vietnamDay(now), from = CivilCalendar.vietnamDay(now - 29 * 86400)
        let snapshot = try await directory.current()
        let ratio = try await ratios.report(version: snapshot.version + today) {
            let counts = try await store.signedCounts(from: from, to: today, senders: nil, businessTypes: [], recipient: nil, grouping: .sender)
            return SignedRatioReport(from: from, to: today, groupBy: .agency, recipient: nil,
                                     counts: counts.map { ($0.day, $0.sender, $0.bucket, $0.count) }, names: snapshot.names)
        }
        var lookup: DashboardPage.Lookup?
        if let key = q.get("lookup")?.trimmingCharacters(in: .whitespaces), !key.isEmpty {
            var found: [(FoundMessage, [DeliveryTrace], [StatusTrace], [ReceiptTrace])] = []
            for m in try await store.findMessages(key) {
                var statuses: [StatusTrace] = []
                if m.kind == "edoc", let documentId = m.documentId { statuses = try await store.statuses(answering: documentId) }
                found.append((m, try await store.trace(m.id), statuses, try await store.receipts(for: m.id)))
            }
            lookup = DashboardPage.Lookup(key: key, messages: found)
        }
        var page = DashboardPage(hubCode: hubCode, now: now, view: try await store.operationsView(now: now), peers: await peers.snapshot(),
                                 dead: try await store.deliveries(state: .dead, limit: 200), ratio: ratio, names: snapshot.names,
                                 csrf: csrf, notice: q.get("notice"), lookup: lookup)
        page.refusals = try await store.refusals(sender: nil, code: nil, from: now - 7 * 86_400, to: now + 1, limit: 20)
        page.refusalCounts = try await store.refusalCounts(from: now - 7 * 86_400, to: now + 1)
        return html(page.html)
    }

    func login(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request)
        guard auth.operatorTokenHash != nil else {
            return html(DashboardPage.login(error: Self.accessOff), status: .forbidden)
        }
        guard let token = fields["token"], auth.isOperatorToken(token) else {
            logger.notice("dashboard login refused")
            return html(DashboardPage.login(error: "Sai mã vận hành / wrong operator token"), status: .unauthorized)
        }
        let (id, _) = try await sessions.create()
        logger.info("dashboard login")
        return redirect("/", setCookie: "\(Self.cookie)=\(id); Path=/; Max-Age=\(Int(DashboardSessions.lifetime)); HttpOnly; Secure; SameSite=Strict")
    }

    /// The session of a form post, with its CSRF token checked.
    func session(_ request: Request, form: [String: String]) async throws -> (String, String) {
        guard let id = cookie(request), let csrf = try await sessions.csrf(for: id) else {
            throw HubError(.unauthorized, "unauthenticated", "log in to the dashboard first")
        }
        guard let sent = form["csrf"], HMAC.constantTimeEqual(Array(sent.utf8), Array(csrf.utf8)) else {
            throw HubError.forbidden("the form's CSRF token does not match the session")
        }
        return (id, csrf)
    }

    func cookie(_ request: Request) -> String? { Self.sessionCookie(in: request) }

    static func sessionCookie(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2, pair[0] == cookie, !pair[1].isEmpty { return pair[1] }
            }
        }
        return nil
    }

    /// An `application/x-www-form-urlencoded` body (at most 16 KiB).
    func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 16 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: Self.securityHeaders(contentType: "text/html; charset=utf-8"),
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func redirect(_ location: String, setCookie: String? = nil) -> Response {
        var headers = Self.securityHeaders(contentType: "text/plain; charset=utf-8")
        headers[.location] = location
        if let setCookie { headers[.setCookie] = setCookie }
        return Response(status: .seeOther, headers: headers)
    }

    static func securityHeaders(contentType: String) -> HTTPFields {
        [.contentType: contentType, .cacheControl: "no-store",
         .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
         HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer"]
    }
}
