/// Proleptic Gregorian calendar arithmetic (H. Hinnant's algorithms), shared by every date formatter.
package enum CivilCalendar {
    /// (year, month, day) of a day number (days since 1970-01-01).
    package static func date(fromDays days: Int) -> (year: Int, month: Int, day: Int) { civilFromDays(days) }

    /// The day number (days since 1970-01-01) of a date.
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Seconds to (day number, seconds into the day), flooring for times before 1970.
    package static func split(_ epoch: Int64) -> (days: Int, seconds: Int) {
        let days = Int(epoch >= 0 ? epoch / 86_400 : (epoch - 86_399) / 86_400)
        return (days, Int(epoch - Int64(days) * 86_400))
    }

    /// `yyyy-MM-dd`.
    package static func isoDay(_ days: Int) -> String {
        let (y, m, d) = civilFromDays(days)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// `yyyy-MM-ddTHH:mm:ssZ`.
    package static func isoUTC(_ epoch: Int64) -> String {
        let (days, secs) = split(epoch)
        return "\(isoDay(days))T\(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):\(pad(secs % 60, 2))Z"
    }

    /// Seconds since 1970 of `yyyy-MM-ddTHH:mm:ssZ` (what `isoUTC` writes); nil for anything else.
    package static func parseISOUTC(_ text: String) -> Int64? {
        let c = Array(text.utf8)
        guard c.count == 20, c[4] == UInt8(ascii: "-"), c[7] == UInt8(ascii: "-"), c[10] == UInt8(ascii: "T"), c[13] == UInt8(ascii: ":"),
              c[16] == UInt8(ascii: ":"), c[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            c[range].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ? Int(String(decoding: c[range], as: UTF8.self)) : nil
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        return Int64(days(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The Vietnam day (UTC+7, no daylight saving) of a time, `yyyy-MM-dd`.
    package static func vietnamDay(_ epoch: Int64) -> String { isoDay(split(epoch + 7 * 3600).days) }

    /// The first second (epoch seconds) of the Vietnam day numbered `days` since 1970-01-01.
    package static func vietnamDayStart(days: Int) -> Int64 { Int64(days) * 86_400 - 7 * 3600 }

    /// The first second of the Vietnam day `yyyy-MM-dd`; nil when the text is not three numbers.
    package static func vietnamDayStart(_ day: String) -> Int64? {
        let p = day.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        return vietnamDayStart(days: days(year: p[0], month: p[1], day: p[2]))
    }

    /// ISO 8601 in Vietnam time with its offset: `yyyy-MM-ddTHH:mm:ss+07:00` (times in API answers).
    package static func vietnamISO(_ epoch: Int64) -> String {
        let (days, secs) = split(epoch + 7 * 3600)
        return "\(isoDay(days))T\(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):\(pad(secs % 60, 2))+07:00"
    }

    /// `yyyy-MM-dd HH:mm:ss` in Vietnam time (UTC+7).
    package static func vietnamDateTime(_ epoch: Int64) -> String {
        let (days, secs) = split(epoch + 7 * 3600)
        return "\(isoDay(days)) \(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):\(pad(secs % 60, 2))"
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
private func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
}

extension CivilCalendar {
    /// `n` in decimal, zero-padded to `width` digits.
    package static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
