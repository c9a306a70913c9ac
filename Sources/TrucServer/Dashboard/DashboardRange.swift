import EdXML
import Foundation
import TrucCore
import TrucVocabulary

/// A date range for traffic and ratios: today, the last 7 or 30 days (today included), or one calendar month
/// (up to today for the current one). Days are Vietnam days (UTC+7), as in the statistics.
struct DashboardRange: Equatable {
    enum Kind: String, CaseIterable { case today, week = "7d", month30 = "30d", month }

    let kind: Kind
    /// `yyyy-MM` for a calendar month.
    let month: String?
    let from: String
    let to: String

    static let standard = Kind.month30

    /// The range a page's query asks for; nil range means the standard one. Throws a message for a person.
    static func parse(range: String?, month: String?, now: Int64) throws(RangeError) -> DashboardRange {
        let today = CivilCalendar.split(now + 7 * 3600).days
        let kind: Kind
        if let range, !range.isEmpty {
            guard let k = Kind(rawValue: range) else {
                throw RangeError(message: "khoảng thời gian không hợp lệ / unknown range \(range): today, 7d, 30d or month")
            }
            kind = k
        } else {
            kind = (month?.isEmpty == false) ? .month : standard
        }
        switch kind {
        case .today: return DashboardRange(kind: kind, month: nil, from: CivilCalendar.isoDay(today), to: CivilCalendar.isoDay(today))
        case .week: return DashboardRange(kind: kind, month: nil, from: CivilCalendar.isoDay(today - 6), to: CivilCalendar.isoDay(today))
        case .month30: return DashboardRange(kind: kind, month: nil, from: CivilCalendar.isoDay(today - 29), to: CivilCalendar.isoDay(today))
        case .month:
            let text = month ?? ""
            let parts = text.split(separator: "-")
            guard text.utf8.count == 7, parts.count == 2, parts[0].utf8.count == 4, parts[1].utf8.count == 2,
                  let y = Int(parts[0]), let m = Int(parts[1]), (1...12).contains(m), y >= 2000 else {
                throw RangeError(message: "tháng không hợp lệ / month must be yyyy-MM (for example 2026-11), not \(text.prefix(20))")
            }
            let first = CivilCalendar.days(year: y, month: m, day: 1)
            guard first <= today else { throw RangeError(message: "tháng \(text) chưa tới / month \(text) has not begun") }
            let next = CivilCalendar.days(year: m == 12 ? y + 1 : y, month: m == 12 ? 1 : m + 1, day: 1)
            return DashboardRange(kind: kind, month: text, from: CivilCalendar.isoDay(first), to: CivilCalendar.isoDay(min(next - 1, today)))
        }
    }

    struct RangeError: Error { let message: String }

    /// Every day of the range, in order.
    var days: [String] {
        guard let a = Self.dayNumber(from), let b = Self.dayNumber(to), a <= b else { return [] }
        return (a...b).map(CivilCalendar.isoDay)
    }

    /// The first second of `from` and the first second after `to` (epoch seconds, Vietnam days).
    var epochs: (from: Int64, to: Int64) {
        (CivilCalendar.vietnamDayStart(days: Self.dayNumber(from) ?? 0), CivilCalendar.vietnamDayStart(days: (Self.dayNumber(to) ?? 0) + 1))
    }

    static func dayNumber(_ day: String) -> Int? {
        let p = day.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        return CivilCalendar.days(year: p[0], month: p[1], day: p[2])
    }

    /// The query that selects this range (for links and exports).
    var query: String { kind == .month ? "range=month&month=\(month ?? "")" : "range=\(kind.rawValue)" }

    var label: String {
        switch kind {
        case .today: "hôm nay / today (\(from))"
        case .week: "7 ngày / 7 days (\(from) – \(to))"
        case .month30: "30 ngày / 30 days (\(from) – \(to))"
        case .month: "tháng / month \(month ?? "") (\(from) – \(to))"
        }
    }

    /// Links to the other ranges and a month picker, for a page at `path`.
    func picker(path: String) -> String {
        let choices: [(Kind, String)] = [(.today, "Hôm nay / Today"), (.week, "7 ngày / 7 days"), (.month30, "30 ngày / 30 days")]
        var h = "<nav class=\"range\" aria-label=\"khoảng thời gian / date range\">"
        for (k, title) in choices {
            h += k == kind ? "<b aria-current=\"true\">\(title)</b>" : "<a href=\"\(path)?range=\(k.rawValue)\">\(title)</a>"
        }
        h += "<form method=\"get\" action=\"\(path)\"><input type=\"hidden\" name=\"range\" value=\"month\">"
        h += "<label>Tháng / Month <input type=\"month\" name=\"month\" value=\"\(Markup.escape(month ?? String(to.prefix(7))))\" required></label> <button>Xem / Show</button></form></nav>"
        return h
    }
}
