
/// A calendar day written `yyyy-MM-dd` in ASCII digits, checked against the calendar (proleptic Gregorian):
/// the one parser of report dates for the HTTP API and the CLI. Nothing but the ten ASCII digits counts as a
/// digit ("½", Arabic-Indic or full-width digits are refused), and 2024-02-30 is not a day.
package struct CalendarDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let year: Int
    package let month: Int
    package let day: Int

    /// Longest report range, in days (both ends included).
    package static let maxRangeDays = 1_830

    package init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                let b = bytes[i]
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(b - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              year >= 1, (1...12).contains(month), day >= 1,
              CivilCalendar.date(fromDays: CivilCalendar.days(year: year, month: month, day: day)) == (year, month, day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01.
    package var daysSinceEpoch: Int { CivilCalendar.days(year: year, month: month, day: day) }

    package var description: String { CivilCalendar.isoDay(daysSinceEpoch) }

    package static func < (a: CalendarDay, b: CalendarDay) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

/// A report's day range, validated the same way wherever it is read.
package struct DayRange: Sendable, Equatable {
    package let from: CalendarDay
    package let to: CalendarDay

    package enum Problem: Error, Equatable, CustomStringConvertible {
        case missing
        case invalidDate(String)
        case reversed
        case tooLong(days: Int)
        case invalidMonth(String)
        case monthAndDays

        package var description: String {
            switch self {
            case .missing: "from and to are required (yyyy-MM-dd), or month (yyyy-MM)"
            case .invalidMonth(let text): "\(text.debugDescription) is not a month written yyyy-MM with ASCII digits"
            case .monthAndDays: "give month, or from and to, not both"
            case .invalidDate(let text): "\(text.debugDescription) is not a date written yyyy-MM-dd with ASCII digits, or no such day exists"
            case .reversed: "from is after to"
            case .tooLong(let days): "the range spans \(days) days; at most \(CalendarDay.maxRangeDays) are allowed"
            }
        }
    }

    /// A calendar month (`yyyy-MM`) as a range, or `from`…`to`; not both.
    package static func parse(from: String?, to: String?, month: String?) -> Result<DayRange, Problem> {
        guard let month else { return parse(from: from, to: to) }
        guard from == nil, to == nil else { return .failure(.monthAndDays) }
        let bytes = Array(month.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"), let first = CalendarDay(month + "-01") else { return .failure(.invalidMonth(month)) }
        let next = first.month == 12 ? (first.year + 1, 1) : (first.year, first.month + 1)
        let last = CivilCalendar.days(year: next.0, month: next.1, day: 1) - 1
        guard let end = CalendarDay(CivilCalendar.isoDay(last)) else { return .failure(.invalidMonth(month)) }
        return .success(DayRange(from: first, to: end))
    }

    package static func parse(from: String?, to: String?) -> Result<DayRange, Problem> {
        guard let from, let to else { return .failure(.missing) }
        guard let start = CalendarDay(from) else { return .failure(.invalidDate(from)) }
        guard let end = CalendarDay(to) else { return .failure(.invalidDate(to)) }
        guard start <= end else { return .failure(.reversed) }
        let days = end.daysSinceEpoch - start.daysSinceEpoch + 1
        guard days <= CalendarDay.maxRangeDays else { return .failure(.tooLong(days: days)) }
        return .success(DayRange(from: start, to: end))
    }
}

/// Whole numbers written in ASCII digits only (no sign, no spaces, no other script's digits), within a range:
/// query parameters and options are read with this, never with `Character.isNumber`.
package enum ASCIINumber {
    package static func parse(_ text: some StringProtocol, in range: ClosedRange<Int64>) -> Int64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value: Int64 = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(b - UInt8(ascii: "0"))
        }
        return range.contains(value) ? value : nil
    }
}
