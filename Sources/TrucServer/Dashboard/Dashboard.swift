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
    /// The SHA-256 of the operator token that opens sessions (nil: operator access is off). A session is
    /// stored under a hash of its id *and* this credential: once the token is rotated (or access turned off),
    /// every session it opened is gone, on every node, with no list to clean.
    let credential: [UInt8]?
    static let lifetime: TimeInterval = 8 * 3600
    /// A session not used for this long ends (a browser left open in an office).
    static let idleSeconds: Int64 = 30 * 60

    init(store: any SessionStore, credential: [UInt8]?) {
        self.store = store
        self.credential = credential
    }

    func create() async throws -> (id: String, csrf: String) {
        guard let credential else { throw HubError.forbidden("operator access is off") }
        let id = try secureRandomBytes(32).hexString, csrf = try secureRandomBytes(16).hexString
        try await store.createSession(idHash: Self.hash(id, credential: credential), csrf: csrf,
                                      expires: Int64(Date().addingTimeInterval(Self.lifetime).timeIntervalSince1970))
        return (id, csrf)
    }

    func csrf(for id: String) async throws -> String? {
        // Ids are 64 hex digits: anything else is no session (and costs no lookup).
        guard let credential, id.utf8.count == 64, id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return try await store.sessionCSRF(idHash: Self.hash(id, credential: credential), now: Int64(Date().timeIntervalSince1970),
                                           idleSeconds: Self.idleSeconds)
    }

    func end(_ id: String) async throws {
        guard let credential else { return }
        try await store.endSession(idHash: Self.hash(id, credential: credential))
    }

    static func hash(_ id: String, credential: [UInt8]) -> String { Digest.sha256(Array(id.utf8) + [0x7C] + credential).hexString }
}

/// The dashboard's figures of a date range (the signed-ratio report, documents per day), recomputed at most once
/// a minute per range: at national scale they aggregate every agency's counters for the range. A few ranges
/// are kept (the standard one, and whatever operators looked at last).
actor FigureCache {
    struct Figures: Sendable {
        let at: Int64
        let ratio: SignedRatioReport
        let volume: [VolumeRow]
    }

    private var entries: [String: Figures] = [:]
    static let lifetime: Int64 = 60
    static let capacity = 12

    func figures(key: String, now: Int64, compute: () async throws -> Figures) async throws -> Figures {
        if let cached = entries[key], now - cached.at < Self.lifetime, cached.at <= now { return cached }
        let fresh = try await compute()
        if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key { entries[oldest] = nil }
        entries[key] = fresh
        return fresh
    }
}

/// The directory's codes and names folded for search (case and accents ignored), made once per directory
/// version: at national scale folding 30,000 names on every search cost a third of a second.
actor SearchIndex {
    private var version: String?
    private var entries: [(code: String, text: String)] = []

    func search(_ query: String, in snapshot: StatisticsDirectory.Snapshot) -> [String] {
        if version != snapshot.version {
            entries = snapshot.known.map { ($0, AgencyListPage.fold($0) + "\n" + AgencyListPage.fold(snapshot.names[$0] ?? "")) }
            version = snapshot.version
        }
        let q = AgencyListPage.fold(query)
        return entries.filter { $0.text.contains(q) }.map(\.code)
    }
}

/// The operator's dashboard: `GET /` (the national view: traffic, queues, oldest undelivered, peer hubs, dead
/// letters with Requeue, refusals, the signed ratio of a date range, message lookup), `GET /agencies` (search
/// and the tree), `GET /agencies/{code}` (one agency), each table also as CSV (`?format=csv&table=ID`), and
/// the forms (login, logout, requeue, pause/resume).
struct DashboardRoutes: Sendable {
    let store: any DeliveryQueueStore & InboxStore & IntakeStore & OperationsStore & RefusalStore & SessionStore & StatisticsStore
    let auth: Authenticator
    let peers: PeerStatusBoard
    let directory: StatisticsDirectory
    let sessions: DashboardSessions
    let figures = FigureCache()
    let searchIndex = SearchIndex()
    let hubCode: String
    let reports: ValidationReports
    /// The storage forecast (shared with /metrics); nil: none shown.
    var forecaster: StorageForecaster? = nil
    var forecastThresholdDays = 30
    let logger: Logger

    static let cookie = "truc_session"
    static let accessOff = "Truy cập vận hành đang tắt / operator access is off: start the hub with --operator-token or TRUC_OPERATOR_TOKEN"

    func register(on router: AccessRouter) {
        router.get("/", .public) { request, context in try await page(request, context) }
        router.get("/agencies", .dashboard) { request, context in try await agencies(request) }
        router.get("/agencies/{code}", .dashboard) { request, context in try await agencyPage(request, context) }
        // The hub-signed ETSI validation report of a message (linked from the message lookup).
        router.get("/messages/{id}/validation-report", .dashboard) { _, context in
            let id = try context.parameters.require("id")
            guard let message = try await store.message(id) else { throw HubError.notFound("no message \(id)") }
            var headers = Self.securityHeaders(contentType: "application/xml; charset=utf-8")
            headers[.contentDisposition] = "attachment; filename=\"validation-report-\(id.filter { $0.isLetter || $0.isNumber || $0 == "-" }).xml\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try reports.xml(of: message))))
        }
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
                throw HubError(.invalidBody, "message and recipient are required")
            }
            let done = try await store.requeue(messageId: message, recipient: recipient)
            logger.notice("operator requeued a delivery (dashboard)", metadata: ["message": "\(message)", "recipient": "\(recipient)"])
            return redirect("/?notice=" + (done ? "requeued \(message) → \(recipient)" : "no dead delivery of \(message) to \(recipient)").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        }
        for action in ["pause", "resume"] {
            router.post("/dashboard/" + action, .dashboard) { request, context in
                let fields = try await form(request)
                _ = try await session(request, form: fields)
                guard let agency = fields["agency"], !agency.isEmpty else { throw HubError(.invalidBody, "agency is required") }
                if action == "pause" { try await store.pause(agency) } else { try await store.resume(agency) }
                logger.notice("operator \(action)d delivery (dashboard)", metadata: ["agency": "\(agency)"])
                // Back to the page the form was on (a path of this site only).
                var back = fields["back"] ?? "/"
                if !back.hasPrefix("/") || back.hasPrefix("//") || back.contains("\\") || back.utf8.count > 512 { back = "/" }
                let notice = (action == "pause" ? "đã tạm dừng / paused delivery to " : "đã tiếp tục / resumed delivery to ") + agency
                return redirect(back + (back.contains("?") ? "&" : "?") + "notice=" + Markup.query(notice))
            }
        }
    }

    /// The range a page asks for, or the standard one with the reason why the request's was not taken.
    func range(_ request: Request, now: Int64) -> (DashboardRange, String?) {
        let q = request.uri.queryParameters
        do {
            return (try DashboardRange.parse(range: q.get("range"), month: q.get("month"), now: now), nil)
        } catch {
            return (try! DashboardRange.parse(range: nil, month: nil, now: now), error.message)
        }
    }

    /// The range's signed-ratio report by sender and documents per day, cached for a minute.
    func rangeFigures(_ range: DashboardRange, snapshot: StatisticsDirectory.Snapshot, now: Int64) async throws -> FigureCache.Figures {
        try await figures.figures(key: "\(snapshot.version) \(range.from) \(range.to)", now: now) {
            let counts = try await store.signedCounts(from: range.from, to: range.to, senders: nil, businessTypes: [], recipient: nil, grouping: .sender)
            let report = SignedRatioReport(from: range.from, to: range.to, groupBy: .agency, recipient: nil,
                                           counts: counts.map { ($0.day, $0.sender, $0.bucket, $0.count) }, names: snapshot.names)
            let volume = try await store.volume(from: range.from, to: range.to, agencies: nil, byDay: true)
            return .init(at: now, ratio: report, volume: volume)
        }
    }

    func page(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let id = cookie(request), let csrf = try await sessions.csrf(for: id) else {
            return html(DashboardShell.login(error: auth.operatorTokenHash == nil ? Self.accessOff : nil))
        }
        let q = request.uri.queryParameters
        let now = Int64(Date().timeIntervalSince1970)
        let (range, rangeError) = range(request, now: now)
        let snapshot = try await directory.current()
        let figures = try await rangeFigures(range, snapshot: snapshot, now: now)
        var lookup: DashboardPage.Lookup?
        if let key = q.get("lookup")?.trimmingCharacters(in: .whitespaces), !key.isEmpty {
            var found: [(FoundMessage, [DeliveryTrace], [StatusTrace], [ReceiptTrace])] = []
            for m in try await store.findMessages(String(key.prefix(200))) {
                var statuses: [StatusTrace] = []
                if m.kind == "edoc", let documentId = m.documentId { statuses = try await store.statuses(answering: documentId, of: m.id, sender: m.sender) }
                found.append((m, try await store.trace(m.id), statuses, try await store.receipts(for: m.id)))
            }
            lookup = DashboardPage.Lookup(key: String(key.prefix(200)), messages: found)
        }
        let epochs = range.epochs
        var page = DashboardPage(hubCode: hubCode, now: now, range: range, view: try await store.operationsView(now: now), peers: await peers.snapshot(),
                                 dead: try await store.deliveries(state: .dead, limit: 200), ratio: figures.ratio, ratioAt: figures.at,
                                 volume: figures.volume, directory: snapshot, csrf: csrf, notice: q.get("notice"), error: rangeError, lookup: lookup)
        page.refusals = try await store.refusals(agency: nil, code: nil, from: epochs.from, to: epochs.to, limit: 500)
        page.refusalCounts = try await store.refusalCounts(from: epochs.from, to: epochs.to)
        page.forecast = try? await forecaster?.current()
        page.forecastThresholdDays = forecastThresholdDays
        if q.get("format") == "csv" { return try csv(page.tables, request: request, range: range) }
        return html(page.html)
    }

    func agencyPage(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let csrf = try await sessionCSRF(request)
        let code = try context.parameters.require("code")
        let now = Int64(Date().timeIntervalSince1970)
        let (range, rangeError) = range(request, now: now)
        let snapshot = try await directory.current()
        guard code.utf8.count <= 64, snapshot.agencies[code] != nil || snapshot.known.contains(code) else {
            throw HubError(.unknownAgency, "no agency \(code.prefix(64)) is registered or counted at this hub")
        }
        let counts = try await store.signedCounts(from: range.from, to: range.to, senders: [code], businessTypes: [], recipient: nil, grouping: .day)
        let epochs = range.epochs
        let page = AgencyPage(
            hubCode: hubCode, now: now, code: code, range: range, directory: snapshot,
            activity: try await store.agencyActivity(code, now: now),
            volume: try await store.volume(from: range.from, to: range.to, agencies: [code], byDay: true),
            ratio: SignedRatioReport(from: range.from, to: range.to, groupBy: .day, recipient: nil,
                                     counts: counts.map { ($0.day, $0.sender, $0.bucket, $0.count) }, names: [:]),
            refusals: try await store.refusals(agency: code, code: nil, from: epochs.from, to: epochs.to, limit: 500),
            csrf: csrf, notice: request.uri.queryParameters.get("notice"), error: rangeError)
        if request.uri.queryParameters.get("format") == "csv" { return try csv(page.tables, request: request, range: range, agency: code) }
        return html(page.html)
    }

    func agencies(_ request: Request) async throws -> Response {
        let csrf = try await sessionCSRF(request)
        let q = request.uri.queryParameters
        let now = Int64(Date().timeIntervalSince1970)
        let snapshot = try await directory.current()
        let view = try await store.operationsView(now: now)
        var pending: [String: Int] = [:]
        for a in view.agencies { pending[a.agency] = DashboardPage.queueStates.dropLast().reduce(0) { $0 + (a.states[$1] ?? 0) } }
        // A form's GET writes spaces as "+".
        let query = q.get("q").map { String($0.replacingOccurrences(of: "+", with: " ").trimmingCharacters(in: .whitespaces).prefix(100)) }
        let parent = q.get("parent").map { String($0.prefix(64)) }
        var page = AgencyListPage(hubCode: hubCode, now: now, directory: snapshot, lastPulls: try await store.lastPulls(), pending: pending,
                                  query: query, parent: parent?.isEmpty == false ? parent : nil, csrf: csrf)
        if let query, !query.isEmpty { page.found = await searchIndex.search(query, in: snapshot) }
        if q.get("format") == "csv" { return try csv([page.table(limit: nil)], request: request, range: nil) }
        return html(page.html)
    }

    /// The CSRF token of the request's session (the access rule has checked that there is one).
    func sessionCSRF(_ request: Request) async throws -> String {
        guard let id = cookie(request), let csrf = try await sessions.csrf(for: id) else {
            throw HubError(.unauthenticated, "log in to the dashboard first")
        }
        return csrf
    }

    /// One of a page's tables as a CSV download (`?format=csv&table=ID`).
    func csv(_ tables: [DashboardTable], request: Request, range: DashboardRange?, agency: String? = nil) throws -> Response {
        let id = request.uri.queryParameters.get("table") ?? ""
        guard let table = tables.first(where: { $0.id == id }) else {
            throw HubError(.invalidParameter, "table is one of: " + tables.map(\.id).joined(separator: ", "))
        }
        var headers = Self.securityHeaders(contentType: "text/csv; charset=utf-8")
        let name = ["truc", table.id, agency, range.map { "\($0.from)_\($0.to)" }].compactMap { $0 }.joined(separator: "-")
        headers[.contentDisposition] = "attachment; filename=\"\(name).csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: table.csv)))
    }

    func login(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request)
        guard auth.operatorTokenHash != nil else {
            return html(DashboardShell.login(error: Self.accessOff), status: .forbidden)
        }
        let source = Authenticator.source(context.channel)
        if let wait = auth.guesses.waiting(source) {
            var response = html(DashboardShell.login(error: "Quá nhiều lần sai / too many wrong tokens: try again in \(wait) s"), status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        guard let token = fields["token"], auth.isOperatorToken(token) else {
            auth.guesses.failed(source) // logs once per block, not once per try
            return html(DashboardShell.login(error: "Sai mã vận hành / wrong operator token"), status: .unauthorized)
        }
        auth.guesses.succeeded(source)
        let (id, _) = try await sessions.create()
        logger.info("dashboard login")
        return redirect("/", setCookie: "\(Self.cookie)=\(id); Path=/; Max-Age=\(Int(DashboardSessions.lifetime)); HttpOnly; Secure; SameSite=Strict")
    }

    /// The session of a form post, with its CSRF token checked.
    func session(_ request: Request, form: [String: String]) async throws -> (String, String) {
        guard let id = cookie(request), let csrf = try await sessions.csrf(for: id) else {
            throw HubError(.unauthenticated, "log in to the dashboard first")
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
