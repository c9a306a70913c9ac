import EdXML
import Foundation
import Hummingbird
import TrucCore
import TrucStore

/// The refused messages: an agency sees its own (how its IT finds out why its signing is broken), the
/// operator everyone's, with counts by code and by sender.
struct RefusalRoutes: Sendable {
    let store: any MessageStore

    func register(on router: AccessRouter) {
        router.get("/v1/refusals", .agency) { request, context in
            let agency = try context.requireAgency()
            let (from, to, limit) = try Self.window(request)
            let items = try await store.refusals(agency: agency.code, code: request.uri.queryParameters.get("code"), from: from, to: to, limit: limit)
            return JSONText.response(Page(from: Self.iso(from), to: Self.iso(to), items: items, counts: nil))
        }
        router.get("/v1/admin/refusals", .operatorOnly) { request, context in
            let q = request.uri.queryParameters
            let (from, to, limit) = try Self.window(request)
            let items = try await store.refusals(agency: q.get("agency"), code: q.get("code"), from: from, to: to, limit: limit)
            return JSONText.response(Page(from: Self.iso(from), to: Self.iso(to), items: items,
                                          counts: try await store.refusalCounts(from: from, to: to)))
        }
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
        case .failure(let problem): throw HubError(.badRequest, "invalid-date", "\(problem) (Vietnam days)")
        }
        guard let limit = ASCIINumber.parse(q.get("limit") ?? "200", in: 1...1000) else {
            throw HubError(.badRequest, "invalid-parameter", "limit is a whole number from 1 to 1000")
        }
        return (vietnamStart(range.from), vietnamStart(range.to) + 86_400, Int(limit))
    }

    /// The first second of a Vietnam day.
    static func vietnamStart(_ day: CalendarDay) -> Int64 { Int64(day.daysSinceEpoch) * 86_400 - 7 * 3600 }

    static func daysBefore(_ day: String, _ n: Int) -> String {
        guard let d = CalendarDay(day) else { return day }
        return CivilCalendar.isoDay(d.daysSinceEpoch - n)
    }

    static func iso(_ epoch: Int64) -> String { CivilCalendar.vietnamISO(epoch) }
}
