import Foundation
import Hummingbird
import NIOCore
import EdXML
import TrucCore
import TrucStore
import TrucVocabulary

/// `GET /v1/stats/signed-ratio`: the signed-ratio report for an agency (or its subtree) and period, as JSON
/// or CSV. An agency sees itself and its subtree; the operator sees everything.
struct StatsRoutes: Sendable {
    let store: any ClientSystemStore & DirectoryStore & StatisticsStore
    let auth: Authenticator
    let directory: StatisticsDirectory

    init(store: any ClientSystemStore & DirectoryStore & StatisticsStore, auth: Authenticator) {
        self.store = store
        self.auth = auth
        self.directory = StatisticsDirectory(store: store)
    }

    func register(on router: AccessRouter) {
        router.get("/v1/stats/signed-ratio", .statistics) { request, context in try await signedRatio(request, context) }
        router.get("/v1/stats/volume", .statistics) { request, context in try await volume(request, context) }
        router.get("/v1/stats/timeliness", .statistics) { request, context in try await timeliness(request, context) }
    }

    func timeliness(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let (from, to, agencies, names) = try await scope(request, caller)
        let documents = try await store.receivedDocuments(from: from, to: to, recipients: agencies)
        let report = TimelinessReport(
            from: from, to: to,
            documents: documents,
            names: names, today: CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970)))
        return JSONText.response(report)
    }

    /// The period, and the senders a report covers: the requested agency (default: the caller's own), or its
    /// subtree; everything for the operator without `agency`. 403 outside the caller's subtree.
    func scope(_ request: Request, _ caller: Caller) async throws -> (from: String, to: String, senders: [String]?, names: [String: String]) {
        let q = request.uri.queryParameters
        let range: DayRange
        switch DayRange.parse(from: q.get("from"), to: q.get("to"), month: q.get("month")) {
        case .success(let r): range = r
        case .failure(let problem): throw HubError(.invalidDate, "\(problem) (Vietnam days)")
        }
        let from = range.from.description, to = range.to.description
        let scope = q.get("scope") ?? "self"
        guard scope == "self" || scope == "subtree" else { throw HubError(.invalidParameter, "scope is self or subtree") }
        let snapshot = try await directory.current()
        var agency = q.get("agency")
        if let own = caller.statisticsScope {
            agency = agency ?? own
            guard let requested = agency, snapshot.hierarchy.isWithin(requested, of: own) else {
                throw HubError(.outOfScope, "\(own) may see its own statistics and its subtree's, not \(agency ?? "all")")
            }
        }
        for code in [agency, q.get("recipient")].compactMap({ $0 }) where snapshot.names[code] == nil && !snapshot.known.contains(code) {
            throw HubError(.unknownAgency, "no agency \(code) is registered at this hub or has sent documents through it")
        }
        var senders: [String]?
        if let agency {
            senders = scope == "subtree" ? await directory.subtree(of: agency, in: snapshot) : [agency]
        }
        return (from, to, senders, snapshot.names)
    }

    func volume(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let (from, to, senders, names) = try await scope(request, caller)
        let groupBy = request.uri.queryParameters.get("groupBy") ?? "agency"
        guard groupBy == "agency" || groupBy == "day" else { throw HubError(.invalidParameter, "groupBy is agency or day") }
        let rows = try await store.volume(from: from, to: to, agencies: senders, byDay: groupBy == "day")
        struct Group: Encodable {
            let key: String
            let name: String?
            let sent: Int
            let received: Int
        }
        struct Report: Encodable {
            let from: String
            let to: String
            let groupBy: String
            let groups: [Group]
            let totals: [String: Int]
            let signingCertificates: [String: Int]
            let definition: String
        }
        let certificates = try await store.signerCounts(from: from, to: to, agencies: senders)
        return JSONText.response(Report(
            from: from, to: to, groupBy: groupBy,
            groups: rows.map { Group(key: $0.key, name: groupBy == "agency" ? names[$0.key] : nil, sent: $0.sent, received: $0.received) },
            totals: ["sent": rows.reduce(0) { $0 + $1.sent }, "received": rows.reduce(0) { $0 + $1.received }],
            signingCertificates: ["personal": certificates["personal"] ?? 0, "organisation": certificates["organisation"] ?? 0,
                                  "unknown": certificates["unknown"] ?? 0],
            definition: "sent: documents accepted from the agency; received: documents accepted for it (one per recipient); "
                + "signingCertificates: distinct certificates of valid signatures on its accepted documents, by kind. Vietnam days (UTC+7)."))
    }

    func signedRatio(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let q = request.uri.queryParameters
        let (from, to, senders, names) = try await scope(request, caller)
        guard let grouping = SignedRatioReport.Grouping(rawValue: q.get("groupBy") ?? "agency") else {
            throw HubError(.invalidParameter, "groupBy is agency, day or month")
        }
        let types = try (q.get("businessType") ?? "").split(separator: ",").map { part -> Int in
            guard let v = ASCIINumber.parse(part, in: 0...3).map(Int.init) else { throw HubError(.invalidParameter, "businessType is a list of 0-3") }
            return v
        }
        let format = q.get("format") ?? "json"
        guard format == "json" || format == "csv" else { throw HubError(.invalidParameter, "format is json or csv") }
        guard let style = SignedRatioReport.CSVStyle(rawValue: q.get("separator") ?? "comma") else {
            throw HubError(.invalidParameter, "separator is comma or semicolon (semicolons and decimal commas)")
        }
        guard let sortKey = SignedRatioReport.SortKey(rawValue: q.get("sort") ?? "key") else {
            throw HubError(.invalidParameter, "sort is one of \(SignedRatioReport.SortKey.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let order = q.get("order") ?? "asc"
        guard order == "asc" || order == "desc" else { throw HubError(.invalidParameter, "order is asc or desc") }
        let counts = try await store.signedCounts(from: from, to: to, senders: senders, businessTypes: types, recipient: q.get("recipient"),
                                                  grouping: grouping == .agency ? .sender : grouping == .day ? .day : .month)
        // Every agency of the scope is a row, those that sent nothing included (the whole hub: every agency
        // registered here but peer hubs).
        let snapshot = try await directory.current()
        let scope = senders ?? snapshot.agencies.values.filter { !$0.relay }.map(\.code)
        let report = SignedRatioReport(from: from, to: to, groupBy: grouping, recipient: q.get("recipient"),
                                       counts: counts.map { ($0.day, $0.sender, $0.bucket, $0.count) },
                                       names: names, scope: scope).sorted(by: sortKey, descending: order == "desc")
        if format == "csv" {
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"signed-ratio-\(from)-\(to).csv\"",
                                                   .init("Truc-Definition")!: SignedRatioReport.definitionText],
                            body: .init(byteBuffer: ByteBuffer(bytes: report.csv(style))))
        }
        return JSONText.response(report)
    }

}
