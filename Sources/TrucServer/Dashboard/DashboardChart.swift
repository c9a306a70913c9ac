import EdXML
import Foundation
import TrucCore
import TrucVocabulary

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
