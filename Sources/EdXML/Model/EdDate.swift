import TrucVocabulary

/// A calendar date as written in edXML. QCVN 102 writes `yyyy/MM/dd`; some senders write `dd/MM/yyyy`.
/// The text is kept as received; `components` is set when the text is a real date in either layout.
package struct EdDate: Sendable, Equatable, Codable, CustomStringConvertible {
    package var raw: String
    package var year: Int?
    package var month: Int?
    package var day: Int?

    package init(raw: String) {
        self.raw = raw
        if let parts = EdDate.parse(raw) { (year, month, day) = parts }
    }

    package init(year: Int, month: Int, day: Int) {
        self.raw = EdDate.format(year: year, month: month, day: day)
        self.year = year
        self.month = month
        self.day = day
    }

    /// True when the text is a real calendar date in one of the accepted layouts.
    package var isValid: Bool { year != nil }

    /// The date in the canonical `yyyy/MM/dd` layout, or the raw text when it is not a date.
    package var canonical: String {
        guard let year, let month, let day else { return raw }
        return EdDate.format(year: year, month: month, day: day)
    }

    /// `yyyy-MM-dd`, for JSON.
    package var iso: String? {
        guard let year, let month, let day else { return nil }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    package var description: String { canonical }

    /// Two dates are equal when they name the same day, whatever their layout; otherwise by text.
    package static func == (a: EdDate, b: EdDate) -> Bool {
        if a.isValid || b.isValid { return a.year == b.year && a.month == b.month && a.day == b.day }
        return a.raw == b.raw
    }

    static func format(year: Int, month: Int, day: Int) -> String { "\(pad(year, 4))/\(pad(month, 2))/\(pad(day, 2))" }

    static func parse(_ text: String) -> (Int, Int, Int)? {
        let t = text.trimmed
        guard let parts = numberGroups(t.utf8, separator: UInt8(ascii: "/")), parts.count == 3 else { return nil }
        let (y, m, d): (Int, Int, Int)
        if parts[0].digits == 4 && parts[1].digits <= 2 && parts[2].digits <= 2 {
            (y, m, d) = (parts[0].value, parts[1].value, parts[2].value)
        } else if parts[2].digits == 4 && parts[0].digits <= 2 && parts[1].digits <= 2 {
            (y, m, d) = (parts[2].value, parts[1].value, parts[0].value)
        } else {
            return nil
        }
        guard isRealDate(year: y, month: m, day: d) else { return nil }
        return (y, m, d)
    }

    /// Splits ASCII digits separated by `separator`: [(value, number of digits)], nil if anything else occurs.
    static func numberGroups<C: Collection>(_ bytes: C, separator: UInt8) -> [(value: Int, digits: Int)]? where C.Element == UInt8 {
        var groups: [(value: Int, digits: Int)] = []
        var value = 0, digits = 0
        for b in bytes {
            if b == separator {
                guard digits > 0 else { return nil }
                groups.append((value, digits))
                value = 0
                digits = 0
            } else if b >= 0x30 && b <= 0x39 {
                guard digits < 9 else { return nil }
                value = value * 10 + Int(b - 0x30)
                digits += 1
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        groups.append((value, digits))
        return groups
    }

    static func isRealDate(year: Int, month: Int, day: Int) -> Bool {
        guard year >= 1900, year <= 9999, (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }
}

/// A timestamp as written in edXML: `yyyy/MM/dd HH:mm:ss` (local time of the writer, Vietnam: UTC+7).
package struct EdTimestamp: Sendable, Equatable, Codable, CustomStringConvertible {
    package var raw: String
    package var date: EdDate?
    package var hour: Int?
    package var minute: Int?
    package var second: Int?

    package init(raw: String) {
        self.raw = raw
        let text = raw.trimmed
        guard let space = text.utf8.firstIndex(of: UInt8(ascii: " ")) else { return }
        let date = EdDate(raw: String(text[..<space]))
        let timeText = text[text.utf8.index(after: space)...].trimmed
        guard date.isValid, let time = EdDate.numberGroups(timeText.utf8, separator: UInt8(ascii: ":")), time.count == 3,
              time.allSatisfy({ $0.digits == 2 }) else { return }
        let (h, m, s) = (time[0].value, time[1].value, time[2].value)
        guard h < 24, m < 60, s < 61 else { return }
        self.date = date
        (hour, minute, second) = (h, m, s)
    }

    package init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.date = EdDate(year: year, month: month, day: day)
        (self.hour, self.minute, self.second) = (hour, minute, second)
        self.raw = "\(EdDate.format(year: year, month: month, day: day)) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
    }

    /// Seconds since 1970-01-01T00:00:00Z, reading the timestamp as Vietnam time (UTC+7).
    package init(epochSeconds: Int, utcOffsetSeconds: Int = 7 * 3600) {
        let local = epochSeconds + utcOffsetSeconds
        let days = Int((Double(local) / 86_400).rounded(.down))
        let secs = local - days * 86_400
        let (y, m, d) = CivilCalendar.date(fromDays: days)
        self.init(year: y, month: m, day: d, hour: secs / 3600, minute: (secs % 3600) / 60, second: secs % 60)
    }

    package var isValid: Bool { hour != nil }

    package var canonical: String {
        guard let date, let hour, let minute, let second else { return raw }
        return "\(date.canonical) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
    }

    /// ISO 8601 with the Vietnam offset, for JSON.
    package var iso: String? {
        guard let d = date?.iso, let hour, let minute, let second else { return nil }
        return "\(d)T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))+07:00"
    }

    package var description: String { canonical }

    package static func == (a: EdTimestamp, b: EdTimestamp) -> Bool {
        if a.isValid || b.isValid { return a.canonical == b.canonical && a.isValid == b.isValid }
        return a.raw == b.raw
    }
}

extension StringProtocol {
    /// Without leading and trailing XML white space (space, tab, CR, LF).
    var trimmed: String {
        let text = String(self)
        let utf8 = text.utf8
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isSpace($0) })!
        if first == utf8.startIndex && utf8.index(after: last) == utf8.endIndex { return text }
        return String(text[first...last])
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

private func pad(_ n: Int, _ width: Int) -> String { CivilCalendar.pad(n, width) }
