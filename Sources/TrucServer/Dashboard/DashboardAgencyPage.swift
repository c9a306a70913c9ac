import EdXML
import Foundation
import TrucCore
import TrucStore

/// One agency's page: who it is and how it is served, its documents sent and received and its signed ratio over
/// the range, its queue, its oldest undelivered message, when it last pulled its inbox, its refused documents
/// with their reasons, and the agencies below it. Pure, like `DashboardPage`.
struct AgencyPage {
    let hubCode: String
    let now: Int64
    let code: String
    let range: DashboardRange
    let directory: StatisticsDirectory.Snapshot
    let activity: AgencyActivity
    /// Documents it sent and received, per day of the range.
    let volume: [VolumeRow]
    /// Its documents of the range by day and signature bucket (as sender).
    let ratio: SignedRatioReport
    let refusals: [Refusal]
    let csrf: String
    var notice: String?
    var error: String?

    var agency: Agency? { directory.agencies[code] }
    var name: String? { directory.names[code] }
    var path: String { "/agencies/\(code)" }

    var children: [String] {
        directory.known.filter { $0 != code && directory.hierarchy.parent(of: $0) == code }
    }

    var volumeTable: DashboardTable { DashboardPage.volumeTable(volume, days: range.days, id: "agency-volume") }

    /// Every day of the range (days without documents included, so the series has no holes).
    var ratioByDay: [SignedRatioReport.Group] {
        let byDay = Dictionary(ratio.groups.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        return range.days.map { byDay[$0] ?? SignedRatioReport.Group(key: $0, name: nil, counts: .init()) }
    }

    var ratioTable: DashboardTable { DashboardPage.ratioTable(ratioByDay, id: "agency-ratio", keyTitle: "ngày / day", link: false) }

    var childrenTable: DashboardTable {
        var t = DashboardTable(id: "agency-children", columns: [.init(title: "cơ quan / agency", key: "agency"), .init(title: "tên / name", key: "name")],
                               empty: "không có đơn vị trực thuộc / no agency below it")
        t.rows = children.map { [.init($0, html: "<a href=\"/agencies/\(Markup.escape($0))\">\(Markup.escape($0))</a>"), .init(directory.names[$0] ?? "")] }
        return t
    }

    var queueTable: DashboardTable {
        var t = DashboardTable(id: "agency-queue", columns: [.init(title: "trạng thái / state", key: "state"), .init(title: "số / count", key: "count", numeric: true)])
        t.rows = DashboardPage.queueStates.map { [.init(DashboardPage.stateTitles[$0] ?? $0, html: "<span data-state=\"\($0)\">\(Markup.escape(DashboardPage.stateTitles[$0] ?? $0))</span>"), .init(activity.states[$0] ?? 0)] }
        return t
    }

    var tables: [DashboardTable] {
        [volumeTable, ratioTable, DashboardPage.refusalsTable(refusals, id: "agency-refusals"), childrenTable, queueTable]
    }

    func csvLink(_ table: String) -> String { "\(path)?\(range.query)&format=csv&table=\(table)" }

    var delivery: String {
        guard let agency else { return "không đăng ký tại trục này / not registered at this hub" }
        if agency.relay { return "trục ngang hàng / peer hub (relays for the agencies behind it)" }
        if let url = agency.pushURL { return "đẩy tới / pushed to \(url)" }
        return "tự nhận (kéo) / pulls its inbox"
    }

    var html: String {
        let sent = volume.reduce(0) { $0 + $1.sent }, received = volume.reduce(0) { $0 + $1.received }
        let crumbs = directory.ancestors(of: code).map { "<a href=\"/agencies/\(Markup.escape($0))\">\(Markup.escape(directory.names[$0] ?? $0))</a>" }
        let pausable = DashboardPage.pausable(agency, states: activity.states, paused: activity.paused)
        let pull: String
        if let at = activity.lastPull {
            pull = "\(Markup.time(at)) (\(Markup.age(max(0, now - at))) trước / ago)"
        } else {
            pull = agency?.pushURL != nil || agency?.relay == true ? "không kéo (được đẩy) / does not pull (pushed)" : "chưa thấy / never seen"
        }
        let oldest = activity.oldest.map { o in
            "\(Markup.age(o.ageSeconds)) — <a href=\"/?lookup=\(Markup.query(o.messageId))\">\(Markup.escape(o.messageId))</a> (\(Markup.escape(DashboardPage.stateTitles[o.state] ?? o.state)), nhận lúc / received \(Markup.time(o.receivedAt)))"
        } ?? "<span class=\"ok\">không có / none</span>"
        let lastError = activity.lastError.map { e in
            "<span class=\"bad\">\(Markup.escape(e.reason))</span> — \(Markup.time(e.at)) (\(Markup.age(max(0, now - e.at))) trước / ago; "
                + "\(Markup.escape(DashboardPage.stateTitles[e.state] ?? e.state)))"
        } ?? "<span class=\"ok\">không có / none</span>"
        let facts = """
            <p class="crumbs"><a href="/agencies">Cơ quan / Agencies</a>\(crumbs.map { " › " + $0 }.joined()) › <b>\(Markup.escape(code))</b></p>
            <dl class="facts">
            <dt>Tên / Name</dt><dd id="agency-name">\(Markup.escape(name ?? "–"))</dd>
            <dt>Nhận văn bản / Delivery</dt><dd>\(Markup.escape(delivery))\(activity.paused ? " <b class=\"bad\">tạm dừng / paused</b>" : "")
            \(pausable ? DashboardPage.pauseControl(code, paused: activity.paused, csrf: csrf, back: "\(path)?\(range.query)") : "")</dd>
            <dt>Kéo hộp thư lần cuối / Last inbox pull</dt><dd id="last-pull">\(pull)</dd>
            <dt>Chưa giao lâu nhất / Oldest undelivered</dt><dd id="agency-oldest">\(oldest)</dd>
            <dt>Lỗi gần nhất / Last delivery error</dt><dd id="agency-last-error">\(lastError)</dd>
            </dl>
            """
        let t = ratio.totals
        let figures = """
            <div class="figures">
            <div><div class="big" id="agency-sent">\(Markup.count(sent))</div><div class="muted">đã gửi / sent</div></div>
            <div><div class="big" id="agency-received">\(Markup.count(received))</div><div class="muted">đã nhận / received</div></div>
            <div><div class="big" id="agency-ratio-total">\(Markup.percent(t.signedRatio))</div><div class="muted">ký số / signed</div></div>
            <div><div class="big\(refusals.isEmpty ? "" : " bad")" id="agency-refused">\(Markup.count(refusals.count))</div><div class="muted">bị từ chối / refused</div></div>
            </div>
            """
        let volumeChart = DashboardPage.volumeChart(volumeTable, id: "agency-volume-chart")
        let days = ratioByDay.filter { $0.counts.total > 0 }
        let ratioChart = days.isEmpty ? "<p class=\"muted\">không có văn bản / no document in this range</p>"
            : DashboardChart.ratioBars(id: "agency-ratio-chart", title: "tỷ lệ ký số theo ngày / signed ratio per day",
                                       rows: days.suffix(31).map { (label: $0.key, href: nil, counts: $0.counts) })
        let body = "<section class=\"wide\" id=\"agency-card\"><h2>\(Markup.escape(code)) · \(Markup.escape(name ?? ""))</h2>"
            + range.picker(path: path) + facts + figures + "</section>"
            + "<section id=\"agency-volume-card\">" + DashboardShell.heading("Văn bản theo ngày / Documents per day, \(range.label)", csv: csvLink("agency-volume")) + volumeChart + "</section>"
            + "<section id=\"agency-ratio-card\">" + DashboardShell.heading("Tỷ lệ ký số theo ngày / Signed ratio per day (as sender)", csv: csvLink("agency-ratio")) + ratioChart
            + "</section>"
            + "<section class=\"wide\" id=\"agency-refusals-card\">" + DashboardShell.heading("Văn bản bị từ chối / Refused documents, \(range.label)", csv: csvLink("agency-refusals"))
            + DashboardPage.refusalsTable(refusals, id: "agency-refusals").html + "</section>"
            + "<section class=\"wide\" id=\"agency-ratio-table-card\">" + DashboardShell.heading("Ký số theo ngày, bảng / Signatures per day, table", csv: csvLink("agency-ratio"))
            + ratioTable.html + "</section>"
            + "<section class=\"third\" id=\"agency-queue-card\">" + DashboardShell.heading("Hàng đợi / Queue", csv: csvLink("agency-queue"), asOf: now) + queueTable.html + "</section>"
            + "<section class=\"two-thirds\" id=\"agency-children-card\">" + DashboardShell.heading("Đơn vị trực thuộc / Agencies below it (\(children.count))", csv: csvLink("agency-children"))
            + childrenTable.html + "</section>"
        return DashboardShell.page(title: code, hubCode: hubCode, now: now, csrf: csrf, notice: notice, error: error, body: body)
    }
}

/// The directory: search by code or name, or browse the tree from the top (or from one agency down).
struct AgencyListPage {
    let hubCode: String
    let now: Int64
    let directory: StatisticsDirectory.Snapshot
    let lastPulls: [String: Int64]
    let pending: [String: Int]
    let query: String?
    let parent: String?
    let csrf: String

    static let limit = 500

    /// Case and accent folded ("Nghe An" finds "Nghệ An"; đ is folded to d).
    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).replacingOccurrences(of: "đ", with: "d")
    }

    /// The codes a search found (`SearchIndex`), when the page is a search.
    var found: [String] = []

    var codes: [String] {
        if let query, !query.isEmpty { return found }
        if let parent { return directory.known.filter { $0 != parent && directory.hierarchy.parent(of: $0) == parent } }
        // The top of the tree: agencies whose parent is not known here.
        let known = Set(directory.known)
        return directory.known.filter { code in directory.hierarchy.parent(of: code).map { !known.contains($0) } ?? true }
    }

    func table(limit: Int? = AgencyListPage.limit) -> DashboardTable {
        var childCount: [String: Int] = [:]
        for code in directory.known { if let p = directory.hierarchy.parent(of: code), p != code { childCount[p, default: 0] += 1 } }
        var t = DashboardTable(id: "agencies", columns: [
            .init(title: "cơ quan / agency", key: "agency"), .init(title: "tên / name", key: "name"), .init(title: "nhận / delivery", key: "delivery"),
            .init(title: "kéo lần cuối / last pull", key: "lastPull"), .init(title: "chưa giao / undelivered", key: "undelivered", numeric: true),
            .init(title: "trực thuộc / below", key: "below", numeric: true),
        ], empty: "không tìm thấy / no agency found")
        for code in codes.prefix(limit ?? Int.max) {
            let a = directory.agencies[code]
            let delivery = a == nil ? "not registered" : a!.relay ? "peer hub" : a!.pushURL != nil ? "push" : "pull"
            let deliveryTitle = ["not registered": "chưa đăng ký / not registered", "peer hub": "trục ngang hàng / peer hub",
                                 "push": "đẩy / push", "pull": "kéo / pull"][delivery] ?? delivery
            let below = childCount[code] ?? 0
            t.rows.append([
                .init(code, html: "<a href=\"/agencies/\(Markup.escape(code))\">\(Markup.escape(code))</a>"),
                .init(directory.names[code] ?? ""), .init(delivery, html: Markup.escape(deliveryTitle)),
                .init(lastPulls[code].map(Markup.time) ?? ""), .init(pending[code] ?? 0),
                .init(String(below), html: below > 0 ? "<a href=\"/agencies?parent=\(Markup.query(code))\">\(below) ›</a>" : "0"),
            ])
        }
        return t
    }

    var csvLink: String {
        if let query, !query.isEmpty { return "/agencies?q=\(Markup.query(query))&format=csv&table=agencies" }
        if let parent { return "/agencies?parent=\(Markup.query(parent))&format=csv&table=agencies" }
        return "/agencies?format=csv&table=agencies"
    }

    var html: String {
        let all = codes.count
        var title = "Cơ quan / Agencies"
        var crumbs = "<p class=\"crumbs\"><a href=\"/agencies\">Cơ quan / Agencies</a>"
        if let query, !query.isEmpty {
            title = "Tìm / Search: \(Markup.escape(query))"
        } else if let parent {
            crumbs += (directory.ancestors(of: parent) + [parent])
                .map { " › <a href=\"/agencies?parent=\(Markup.query($0))\">\(Markup.escape(directory.names[$0] ?? $0))</a>" }.joined()
            title = "Trực thuộc / Below \(Markup.escape(parent)) · <a href=\"/agencies/\(Markup.escape(parent))\">\(Markup.escape(directory.names[parent] ?? parent))</a>"
        }
        crumbs += "</p>"
        let body = "<section class=\"wide\" id=\"agencies-card\">" + DashboardShell.heading(title, csv: csvLink) + crumbs
            + "<form method=\"get\" action=\"/agencies\" role=\"search\"><input type=\"search\" name=\"q\" value=\"\(Markup.escape(query ?? ""))\" placeholder=\"mã hoặc tên / code or name\" size=\"40\" aria-label=\"tìm cơ quan / find an agency\"> <button>Tìm / Find</button></form>"
            + "<p class=\"muted\">\(Markup.count(all)) cơ quan / agencies\(all > Self.limit ? "; \(Self.limit) đầu tiên được hiển thị / the first \(Self.limit) shown" : "")</p>"
            + table().html + "</section>"
        return DashboardShell.page(title: "Cơ quan / Agencies", hubCode: hubCode, now: now, csrf: csrf, notice: nil, body: body)
    }
}

extension StatisticsDirectory.Snapshot {
    /// The agencies above `code`, the top first (at most 8 levels: a cycle in the directory cannot loop).
    func ancestors(of code: String) -> [String] {
        var chain: [String] = []
        var cursor = hierarchy.parent(of: code)
        while let c = cursor, chain.count < 8 {
            chain.insert(c, at: 0)
            cursor = hierarchy.parent(of: c)
        }
        return chain
    }
}
