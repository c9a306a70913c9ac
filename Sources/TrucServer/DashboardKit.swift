import EdXML
import Foundation
import TrucCore
import TrucVocabulary

/// The pieces every dashboard page is built from — date ranges, tables that render as HTML and as CSV, SVG
/// charts with axes and patterns, the page shell. Pure: text in, text out.
enum Markup {
    /// For text and double-quoted attributes alike.
    static func escape(_ text: String) -> String { MarkupEscape.attribute(text) }

    /// A query-string value.
    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    static func time(_ epoch: Int64?) -> String {
        guard let epoch else { return "–" }
        return CivilCalendar.vietnamDateTime(epoch)
    }

    static func age(_ seconds: Int64) -> String {
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) d"
    }

    static func percent(_ ratio: Double?) -> String {
        guard let ratio else { return "–" }
        return String(format: "%.1f %%", ratio * 100)
    }

    /// Thousands grouped with thin spaces (Vietnamese usage groups with dots; a space reads in both languages).
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "\u{202F}" }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A link to an agency's page, its code over its name.
    static func agency(_ code: String, _ name: String?) -> String {
        "<a href=\"/agencies/\(escape(code))\">\(escape(code))</a>" + (name.map { "<br><span class=\"muted\">\(escape($0))</span>" } ?? "")
    }
}

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
        let a = Int64(Self.dayNumber(from) ?? 0), b = Int64(Self.dayNumber(to) ?? 0) + 1
        return (a * 86_400 - 7 * 3600, b * 86_400 - 7 * 3600)
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

/// A table shown on a page and exported as CSV from the same rows: what the operator sees is what they get.
struct DashboardTable {
    struct Column {
        /// Shown (Vietnamese / English).
        let title: String
        /// The CSV header (English, stable).
        let key: String
        var numeric = false
    }

    struct Cell {
        /// The value (CSV, and the text shown unless `html` is given).
        let text: String
        /// Markup shown instead of the text (already escaped).
        var html: String?

        init(_ text: String, html: String? = nil) {
            self.text = text
            self.html = html
        }

        init(_ n: Int) { self.text = String(n) }
    }

    let id: String
    let columns: [Column]
    var rows: [[Cell]] = []
    var empty = "không có / none"

    /// The table, each cell labelled with its column (a phone shows rows as stacked label–value pairs).
    var html: String {
        var h = "<div class=\"table\"><table id=\"\(id)\"><thead><tr>"
        for c in columns { h += "<th\(c.numeric ? " class=\"n\"" : "") scope=\"col\">\(c.title)</th>" }
        h += "</tr></thead><tbody>"
        if rows.isEmpty { h += "<tr><td colspan=\"\(columns.count)\" class=\"muted\">\(empty)</td></tr>" }
        for row in rows {
            h += "<tr>"
            for (c, cell) in zip(columns, row) {
                h += "<td\(c.numeric ? " class=\"n\"" : "") data-label=\"\(Markup.escape(c.title))\">\(cell.html ?? (c.numeric ? Markup.count(Int(cell.text) ?? 0) : Markup.escape(cell.text)))</td>"
            }
            h += "</tr>"
        }
        return h + "</tbody></table></div>"
    }

    static func formulaLike(_ text: String) -> Bool { CSVText.formulaLike(text) }

    /// RFC 4180 CSV with a UTF-8 byte-order mark (spreadsheet programs then read Vietnamese correctly); a text
    /// cell that a spreadsheet would run as a formula is prefixed with an apostrophe.
    var csv: [UInt8] {
        func field(_ text: String, numeric: Bool) -> String { CSVText.field(text, numeric: numeric) }
        var out = "\u{FEFF}" + columns.map { field($0.key, numeric: false) }.joined(separator: ",") + "\r\n"
        for row in rows {
            out += zip(columns, row).map { field($1.text, numeric: $0.numeric) }.joined(separator: ",") + "\r\n"
        }
        return Array(out.utf8)
    }
}

/// SVG charts drawn on the server: axes with scales, counts written on the marks, and series told apart by
/// pattern as well as colour (Okabe–Ito colours, readable with the common colour-vision deficiencies).
enum DashboardChart {
    enum Pattern: Sendable { case solid, diagonal, dots, horizontal, cross, vertical }

    struct Series: Sendable {
        let name: String
        let color: String
        let pattern: Pattern
    }

    /// The signature buckets of the signed-ratio definition, in the order of the reports.
    struct Bucket: Sendable {
        let key: String
        let series: Series
        let count: @Sendable (SignedRatioReport.Counts) -> Int
    }

    static let buckets: [Bucket] = [
        Bucket(key: "both", series: Series(name: "cả hai / both", color: "#0072B2", pattern: .solid)) { $0.both },
        Bucket(key: "organisation", series: Series(name: "cơ quan / organisation", color: "#56B4E9", pattern: .diagonal)) { $0.organisation },
        Bucket(key: "personal", series: Series(name: "cá nhân / personal", color: "#009E73", pattern: .dots)) { $0.personal },
        Bucket(key: "unsigned", series: Series(name: "không ký / unsigned", color: "#9E9E9E", pattern: .horizontal)) { $0.unsigned },
        Bucket(key: "indeterminate", series: Series(name: "chưa xác định / indeterminate", color: "#E69F00", pattern: .cross)) { $0.indeterminate },
        Bucket(key: "invalid", series: Series(name: "không hợp lệ / invalid", color: "#D55E00", pattern: .vertical)) { $0.invalid },
    ]

    /// What each pattern draws in white over its colour, on an 8 × 8 tile.
    static func overlay(_ pattern: Pattern) -> String {
        switch pattern {
        case .solid: ""
        case .diagonal: "<path d=\"M-2 2L2 -2M0 8L8 0M6 10L10 6\" stroke=\"#fff\" stroke-width=\"1.6\"/>"
        case .dots: "<circle cx=\"4\" cy=\"4\" r=\"1.6\" fill=\"#fff\"/>"
        case .horizontal: "<path d=\"M0 4H8\" stroke=\"#fff\" stroke-width=\"1.6\"/>"
        case .cross: "<path d=\"M0 0L8 8M8 0L0 8\" stroke=\"#fff\" stroke-width=\"1.2\"/>"
        case .vertical: "<path d=\"M4 0V8\" stroke=\"#fff\" stroke-width=\"1.6\"/>"
        }
    }

    static func defs(_ prefix: String, _ series: [Series]) -> String {
        var h = "<defs>"
        for (i, s) in series.enumerated() {
            h += "<pattern id=\"\(prefix)-p\(i)\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" fill=\"\(s.color)\"/>\(overlay(s.pattern))</pattern>"
        }
        return h + "</defs>"
    }

    static func legend(_ prefix: String, _ series: [Series]) -> String {
        "<ul class=\"legend\">" + series.enumerated().map { i, s in
            "<li><svg width=\"16\" height=\"16\" aria-hidden=\"true\">\(defs("\(prefix)-l\(i)", [s]))<rect width=\"16\" height=\"16\" fill=\"url(#\(prefix)-l\(i)-p0)\" stroke=\"#333\" stroke-width=\"0.5\"/></svg>\(s.name)</li>"
        }.joined() + "</ul>"
    }

    /// A round scale for counts up to `maximum`: (top of the axis, step between ticks).
    static func scale(_ maximum: Int) -> (top: Int, step: Int) {
        guard maximum > 0 else { return (4, 1) }
        var step = 1
        while (maximum + step - 1) / step > 5 {
            let s = String(step)
            step = s.hasPrefix("1") ? step * 2 : s.hasPrefix("2") ? step / 2 * 5 : step * 2
        }
        let top = (maximum + step - 1) / step * step
        return (max(top, step), step)
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// Vertical bars, one group per label and one bar per series, on a counted y axis; values are written above
    /// the bars when they fit. The SVG scales to its card's width.
    static func columns(id: String, title: String, xTitle: String, yTitle: String, labels: [String], series: [Series], values: [[Int]]) -> String {
        let width = 480.0, height = 230.0, left = 46.0, right = 8.0, top = 16.0, bottom = 42.0
        let plotW = width - left - right, plotH = height - top - bottom
        let maximum = values.flatMap { $0 }.max() ?? 0
        let (axisTop, step) = scale(maximum)
        let groupW = plotW / Double(max(labels.count, 1))
        let barW = max(1, groupW * 0.8 / Double(max(series.count, 1)))
        var h = "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\">"
        h += defs(id, series)
        // y axis: gridlines and counts
        var tick = 0
        while tick <= axisTop {
            let y = top + plotH - Double(tick) / Double(axisTop) * plotH
            h += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#d9dee3\"/>"
            h += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" class=\"tick\">\(Markup.count(tick))</text>"
            tick += step
        }
        h += "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"#5f6b76\"/>"
        h += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH))\" stroke=\"#5f6b76\"/>"
        let labelEvery = max(1, Int((Double(labels.count) / 7).rounded(.up)))
        let writeValues = labels.count * series.count <= 32
        for (i, label) in labels.enumerated() {
            let x0 = left + Double(i) * groupW + groupW * 0.1
            for (j, _) in series.enumerated() {
                let v = i < values.count && j < values[i].count ? values[i][j] : 0
                let hgt = Double(v) / Double(axisTop) * plotH
                let x = x0 + Double(j) * barW
                h += "<rect x=\"\(f(x))\" y=\"\(f(top + plotH - hgt))\" width=\"\(f(max(barW - 1, 1)))\" height=\"\(f(hgt))\" fill=\"url(#\(id)-p\(j))\" stroke=\"#333\" stroke-width=\"0.4\"><title>\(Markup.escape(label)) · \(Markup.escape(series[j].name)): \(v)</title></rect>"
                if writeValues && v > 0 {
                    h += "<text x=\"\(f(x + barW / 2))\" y=\"\(f(top + plotH - hgt - 3))\" text-anchor=\"middle\" class=\"value\">\(Markup.count(v))</text>"
                }
            }
            // Every labelEvery-th label, and the last one when it does not crowd the one before it.
            if i % labelEvery == 0 ? (labels.count - 1 - i >= labelEvery || i == labels.count - 1) : i == labels.count - 1 {
                h += "<text x=\"\(f(left + Double(i) * groupW + groupW / 2))\" y=\"\(f(top + plotH + 15))\" text-anchor=\"middle\" class=\"tick\">\(Markup.escape(label))</text>"
            }
        }
        h += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\" class=\"axis\">\(Markup.escape(xTitle))</text>"
        h += "<text x=\"11\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 11 \(f(top + plotH / 2)))\">\(Markup.escape(yTitle))</text>"
        return h + "</svg>" + (series.count > 1 ? legend(id, series) : "")
    }

    /// One horizontal 100 % bar per row, split by bucket, each segment's count written on it when it fits; the
    /// signed share at the right; a percentage axis below. Row labels link to `href` when given.
    static func ratioBars(id: String, title: String, rows: [(label: String, href: String?, counts: SignedRatioReport.Counts)]) -> String {
        let width = 480.0, labelW = 150.0, ratioW = 50.0, rowH = 22.0, top = 18.0
        let plotW = width - labelW - ratioW - 8
        let height = top + Double(rows.count) * rowH + 24
        let series = buckets.map(\.series)
        var h = "<svg id=\"\(id)\" class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\">"
        h += defs(id, series)
        h += "<text x=\"\(f(width - 2))\" y=\"12\" text-anchor=\"end\" class=\"tick\">ký số / signed</text>"
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowH
            let label = "<text x=\"0\" y=\"\(f(y + 15))\" class=\"label\">\(Markup.escape(String(row.label.prefix(24))))</text>"
            h += row.href.map { "<a href=\"\(Markup.escape($0))\">\(label)</a>" } ?? label
            var x = labelW
            let total = row.counts.total
            for (j, bucket) in buckets.enumerated() {
                let n = bucket.count(row.counts)
                guard n > 0, total > 0 else { continue }
                let w = Double(n) / Double(total) * plotW
                h += "<rect x=\"\(f(x))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"\(f(rowH - 6))\" fill=\"url(#\(id)-p\(j))\" stroke=\"#333\" stroke-width=\"0.4\"><title>\(Markup.escape(row.label)) · \(Markup.escape(bucket.series.name)): \(n) / \(total)</title></rect>"
                let text = Markup.count(n)
                if w >= Double(text.count) * 6 + 6 {
                    h += "<text x=\"\(f(x + w / 2))\" y=\"\(f(y + 15))\" text-anchor=\"middle\" class=\"onbar\">\(text)</text>"
                }
                x += w
            }
            h += "<text x=\"\(f(width - 2))\" y=\"\(f(y + 15))\" text-anchor=\"end\" class=\"label\">\(Markup.percent(row.counts.signedRatio))</text>"
        }
        let axisY = top + Double(rows.count) * rowH + 2
        h += "<line x1=\"\(f(labelW))\" x2=\"\(f(labelW + plotW))\" y1=\"\(f(axisY))\" y2=\"\(f(axisY))\" stroke=\"#5f6b76\"/>"
        for p in stride(from: 0, through: 100, by: 25) {
            let x = labelW + Double(p) / 100 * plotW
            h += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(axisY))\" y2=\"\(f(axisY + 4))\" stroke=\"#5f6b76\"/><text x=\"\(f(x))\" y=\"\(f(axisY + 16))\" text-anchor=\"middle\" class=\"tick\">\(p) %</text>"
        }
        return h + "</svg>" + legend(id, series)
    }
}

/// The frame of every dashboard page: header with the hub, navigation, agency search, time and logout.
enum DashboardShell {
    static let style = """
        *{box-sizing:border-box}
        body{font-family:"Noto Sans","DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d2733;background:#f4f6f8;font-size:14px}
        header{background:#12355b;color:#fff;padding:10px 24px;display:flex;flex-wrap:wrap;gap:8px 24px;justify-content:space-between;align-items:center}
        header h1{font-size:19px;margin:0} header a{color:#fff} header nav{display:flex;gap:16px;align-items:center;flex-wrap:wrap}
        header form{display:inline-flex;gap:4px} header input{width:220px}
        main{padding:16px 24px;display:grid;gap:16px;grid-template-columns:repeat(12,minmax(0,1fr))}
        section{grid-column:span 6;min-width:0;background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px #0002}
        section.wide{grid-column:1/-1} section.third{grid-column:span 4} section.two-thirds{grid-column:span 8}
        h2{font-size:16px;margin:2px 0 10px} h3{font-size:14px;margin:12px 0 6px}
        .table{max-width:100%} table{border-collapse:collapse;width:100%;font-size:13px;table-layout:auto}
        th,td{padding:4px 6px;border-bottom:1px solid #e3e7eb;text-align:left;vertical-align:top;overflow-wrap:anywhere}
        td.n,th.n{text-align:right} td.n{white-space:nowrap} .big{font-size:26px;font-weight:600}
        .figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin-top:10px}
        .ok{color:#1b7f3b} .bad{color:#b3261e} .muted{color:#5f6b76} .notice{background:#fff4ce;padding:8px 24px}
        .error{background:#fde7e4;padding:8px 24px}
        button{font:inherit;font-size:12px;padding:2px 8px;cursor:pointer} form.inline{display:inline}
        input[type=text],input[type=search],input[type=month],input[type=password]{font:inherit;padding:3px 6px;max-width:100%}
        .chart{width:100%;max-width:760px;height:auto;display:block} .chart text{font-size:11px;fill:#1d2733} .chart .tick{fill:#5f6b76}
        .chart .axis{font-size:11px;fill:#5f6b76} .chart .value{font-size:10px} .chart .onbar{font-size:10px;fill:#fff;paint-order:stroke;stroke:#000;stroke-width:2px}
        .chart .label{font-size:11px} .chart a text{fill:#0b57a4;text-decoration:underline}
        .legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
        .legend li{display:flex;align-items:center;gap:5px}
        .range{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center;margin:0 0 4px} .range form{display:inline-flex;gap:6px;align-items:center}
        .csv{font-size:12px;float:right;font-weight:normal} .asof{font-size:12px;color:#5f6b76;font-weight:normal}
        .crumbs{margin:0 0 8px} dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0} dl.facts dt{color:#5f6b76}
        dl.facts dd{margin:0;overflow-wrap:anywhere}
        @media (max-width:1100px){section,section.third,section.two-thirds{grid-column:1/-1}}
        @media (max-width:700px){
          header{padding:8px 12px} header input{width:140px} main{padding:8px;gap:10px}
          table,thead,tbody,tr,th,td{display:block} thead{position:absolute;left:-9999px}
          tr{border-bottom:1px solid #c9d0d6;padding:4px 0} td{border:none;padding:2px 4px;text-align:left!important;white-space:normal!important}
          td[data-label]{display:grid;grid-template-columns:minmax(0,42%) minmax(0,1fr);gap:8px;align-items:baseline}
          td[data-label]::before{content:attr(data-label);font-size:11px;color:#5f6b76} td[data-label=""]{display:block}
          td[data-label=""]::before{content:none}
        }
        """

    static func page(title: String, hubCode: String, now: Int64, csrf: String, notice: String?, error: String? = nil,
                     refresh: Bool = false, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        \(refresh ? "<meta http-equiv=\"refresh\" content=\"60\">" : "")
        <title>\(Markup.escape(title)) · Truc \(Markup.escape(hubCode))</title><style>\(style)</style></head><body>
        <header><h1>Trục liên thông văn bản · Truc hub \(Markup.escape(hubCode))</h1>
        <nav><a href="/">Tổng quan / Overview</a><a href="/agencies">Cơ quan / Agencies</a>
        <form method="get" action="/agencies" role="search"><input type="search" name="q" placeholder="mã hoặc tên / code or name" aria-label="tìm cơ quan / find an agency"><button>Tìm / Find</button></form></nav>
        <div>\(Markup.time(now)) (giờ Việt Nam / Vietnam time) <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="\(csrf)"><button>Đăng xuất / Log out</button></form></div></header>
        \(notice.map { "<div class=\"notice\" id=\"notice\">\(Markup.escape($0))</div>" } ?? "")\(error.map { "<div class=\"error\" id=\"page-error\">\(Markup.escape($0))</div>" } ?? "")
        <main>\(body)</main></body></html>
        """
    }

    static func login(error: String?) -> String {
        """
        <!DOCTYPE html>
        <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Truc · đăng nhập / log in</title><style>\(style)</style></head><body>
        <header><h1>Trục liên thông văn bản · Truc</h1></header>
        <main><section><h2>Đăng nhập vận hành / Operator login</h2>
        \(error.map { "<p class=\"bad\" id=\"login-error\">\(Markup.escape($0))</p>" } ?? "")
        <form method="post" action="/login"><input type="password" name="token" placeholder="mã vận hành / operator token" aria-label="operator token" autofocus> <button id="login">Đăng nhập / Log in</button></form>
        </section></main></body></html>
        """
    }

    /// A card's heading with a CSV link for its table.
    static func heading(_ title: String, csv: String? = nil, asOf: Int64? = nil) -> String {
        var h = "<h2>\(title)"
        if let asOf { h += " <span class=\"asof\">số liệu lúc / as of \(Markup.time(asOf))</span>" }
        if let csv { h += " <a class=\"csv\" href=\"\(Markup.escape(csv))\" download>CSV</a>" }
        return h + "</h2>"
    }
}
