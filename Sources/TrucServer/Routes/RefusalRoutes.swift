import EdXML
import Foundation
import Hummingbird
import TrucCore
import TrucStore
import TrucSignatures
import NIOCore
import HTTPTypes
import TrucVocabulary

/// The refused messages: an agency sees its own (how its IT finds out why its signing is broken), the
/// operator everyone's, with counts by code and by sender.
struct RefusalRoutes: Sendable {
    let store: any RefusalStore
    let reports: ValidationReports

    func register(on router: AccessRouter) {
        router.get("/v1/refusals", .agency) { request, context in
            let agency = try context.requireAgency()
            let (from, to, limit) = try Self.window(request)
            let items = try await store.refusals(agency: agency.code, code: request.uri.queryParameters.get("code"), from: from, to: to, limit: limit)
            return JSONText.response(Page(from: Self.iso(from), to: Self.iso(to), items: items, counts: nil))
        }
        // A document refused for its signatures: the verdict and the data it was made from, kept with the refusal.
        router.get("/v1/refusals/:id/validation-report", .reader) { request, context in try await validationReport(request, context) }
        router.get("/v1/admin/refusals", .operatorOnly) { request, context in
            let q = request.uri.queryParameters
            let (from, to, limit) = try Self.window(request)
            let items = try await store.refusals(agency: q.get("agency"), code: q.get("code"), from: from, to: to, limit: limit)
            return JSONText.response(Page(from: Self.iso(from), to: Self.iso(to), items: items,
                                          counts: try await store.refusalCounts(from: from, to: to)))
        }
    }

    /// The ETSI report (hub-signed XML with `Accept: application/xml`, else JSON) of a refusal for invalid
    /// signatures: the agency it is filed under, or the operator; 404 for others, for an unknown id, or for a
    /// refusal of another kind (nothing was verified).
    func validationReport(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let raw = try context.parameters.require("id")
        guard let id = ASCIINumber.parse(raw, in: 1...Int64.max),
              let (refusal, verdictJSON, objects) = try await store.refusalVerdict(id) else { throw HubError.notFound("no refusal \(raw)") }
        switch caller {
        case .operatorRole: break
        case .viewer: throw HubError.forbidden("a viewer credential reads statistics only")
        case .scraper: throw HubError.forbidden("the metrics credential reads /metrics only")
        case .agency(let agency): guard agency.code == refusal.agency else { throw HubError.notFound("no refusal \(raw)") }
        }
        guard let verdictJSON else { throw HubError.notFound("refusal \(raw) (\(refusal.code)) has no signature verdict") }
        let verdict = try reports.verdict(json: verdictJSON, of: "refusal \(raw)", at: refusal.at)
        let accept = request.headers[.accept]?.lowercased() ?? ""
        if accept.contains("application/xml") || accept.contains("text/xml") {
            return Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8", .init("X-Truc-SHA256")!: refusal.sha256],
                            body: .init(byteBuffer: ByteBuffer(bytes: try reports.xml(verdict, documentSHA256: refusal.sha256))))
        }
        struct Report: Encodable {
            let refusal: Refusal
            let validationTime: String?
            let trustSnapshot: String?
            let signatures: [SignatureVerdict]
            let objects: [Object]
            struct Object: Encodable {
                let sha256: String
                let kind: String
                let der: String
            }
        }
        return JSONText.response(Report(refusal: refusal, validationTime: verdict.validationTime, trustSnapshot: verdict.trustSnapshot,
                                        signatures: verdict.signatures,
                                        objects: objects.map { .init(sha256: $0.sha256, kind: $0.kind, der: Data($0.der).base64EncodedString()) }))
    }

    struct Page: Encodable {
        let from: String
        let to: String
        let items: [Refusal]
        let counts: RefusalCounts?
    }

    /// `from`/`to` (Vietnam days, default the last 7 days) as [start, end) epoch seconds, and `limit` (1–1000, default 200).
    static func window(_ request: Request) throws -> (Int64, Int64, Int) {
        let q = request.uri.queryParameters
        let today = CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970))
        let range: DayRange
        switch DayRange.parse(from: q.get("from") ?? Self.daysBefore(today, 6), to: q.get("to") ?? today) {
        case .success(let r): range = r
        case .failure(let problem): throw HubError(.invalidDate, "\(problem) (Vietnam days)")
        }
        guard let limit = ASCIINumber.parse(q.get("limit") ?? "200", in: 1...1000) else {
            throw HubError(.invalidParameter, "limit is a whole number from 1 to 1000")
        }
        return (vietnamStart(range.from), vietnamStart(range.to) + 86_400, Int(limit))
    }

    /// The first second of a Vietnam day.
    static func vietnamStart(_ day: CalendarDay) -> Int64 { CivilCalendar.vietnamDayStart(days: day.daysSinceEpoch) }

    static func daysBefore(_ day: String, _ n: Int) -> String {
        guard let d = CalendarDay(day) else { return day }
        return CivilCalendar.isoDay(d.daysSinceEpoch - n)
    }

    static func iso(_ epoch: Int64) -> String { CivilCalendar.vietnamISO(epoch) }
}
