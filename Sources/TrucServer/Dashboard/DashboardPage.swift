import EdXML
import Foundation
import TrucCore
import TrucStore

/// The dashboard's national view as server-rendered HTML: no script, no external resource, UTF-8 throughout.
/// Pure: built from what the store and the peer board say. Every table is also its CSV (`tables`).
struct DashboardPage {
    struct Lookup {
        let key: String
        let messages: [(FoundMessage, [DeliveryTrace], [StatusTrace], [ReceiptTrace])]
    }

    let hubCode: String
    let now: Int64
    let range: DashboardRange
    let view: OperationsView
    let peers: [PeerStatusBoard.Entry]
    let dead: [QueuedDelivery]
    /// The signed-ratio report of the range and when it was computed (it is cached for a minute).
    let ratio: SignedRatioReport
    let ratioAt: Int64
    /// Documents sent and received per day of the range.
    let volume: [VolumeRow]
    let directory: StatisticsDirectory.Snapshot
    let csrf: String
    var notice: String?
    var error: String?
    var lookup: Lookup?
    /// Refusals of the range: the latest, and the counts.
    var refusals: [Refusal] = []
    var refusalCounts = RefusalCounts(total: 0, byCode: [:], bySender: [])
    /// The storage forecast: the store on disk, its growth, days until the data volume is full.
    var forecast: StorageForecast?
    var forecastThresholdDays = 30

    static let queueStates = ["awaiting-pull", "queued", "sending", "waiting-retry", "dead"]
    static let stateTitles = ["awaiting-pull": "chờ nhận / awaiting pull", "queued": "chờ gửi / queued", "sending": "đang gửi / sending",
                              "waiting-retry": "chờ gửi lại / waiting retry", "dead": "thất bại / dead", "delivered": "đã giao / delivered",
                              "failed": "bị từ chối / failed"]

    static let kindTitles = ["edoc": "văn bản / document", "status": "trạng thái / status message", "receipt": "biên nhận / receipt"]

    func name(_ code: String) -> String? { directory.names[code] }

    /// Pausing holds pushes and forwards: offered where the agency is pushed to or behind a peer hub, or has
    /// such deliveries (pull-only agencies have nothing to pause).
    static func pausable(_ agency: Agency?, states: [String: Int], paused: Bool) -> Bool {
        paused || agency?.pushURL != nil || agency?.relay == true || ["queued", "sending", "waiting-retry", "dead"].contains { (states[$0] ?? 0) > 0 }
    }

    static func pauseControl(_ code: String, paused: Bool, csrf: String, back: String) -> String {
        let action = paused ? "resume" : "pause"
        return "<form class=\"inline\" method=\"post\" action=\"/dashboard/\(action)\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\">"
            + "<input type=\"hidden\" name=\"agency\" value=\"\(Markup.escape(code))\"><input type=\"hidden\" name=\"back\" value=\"\(Markup.escape(back))\">"
            + "<button class=\"\(action)\">\(paused ? "Tiếp tục / Resume" : "Tạm dừng / Pause")</button></form>"
    }

    // MARK: tables (shown and exported)

    var statesTable: DashboardTable {
        let order = Self.queueStates + ["delivered", "failed"]
        var t = DashboardTable(id: "states", columns: [.init(title: "trạng thái / state", key: "state"), .init(title: "số / count", key: "count", numeric: true)])
        t.rows = order.map { [.init(Self.stateTitles[$0] ?? $0, html: "<span data-state=\"\($0)\">\(Markup.escape(Self.stateTitles[$0] ?? $0))</span>"), .init(view.states[$0] ?? 0)] }
        return t
    }

    var agencyQueuesTable: DashboardTable {
        var t = DashboardTable(id: "agency-queues", columns: [.init(title: "cơ quan / agency", key: "agency"), .init(title: "tên / name", key: "name")]
            + Self.queueStates.map { .init(title: Self.stateTitles[$0]!, key: $0, numeric: true) } + [.init(title: "", key: "paused")],
            empty: "không có gì đang chờ / nothing waiting")
        let sorted = view.agencies.sorted { a, b in
            let ta = a.states.values.reduce(0, +), tb = b.states.values.reduce(0, +)
            return ta != tb ? ta > tb : a.agency < b.agency
        }
        for q in sorted {
            let control = Self.pausable(directory.agencies[q.agency], states: q.states, paused: q.paused)
                ? Self.pauseControl(q.agency, paused: q.paused, csrf: csrf, back: "/?\(range.query)")
                : "<span class=\"muted\" data-pull-only=\"\(Markup.escape(q.agency))\">nhận kéo / pull</span>"
            t.rows.append([.init(q.agency, html: Markup.agency(q.agency, nil) + (q.paused ? " <b class=\"bad\">tạm dừng / paused</b>" : "")),
                           .init(name(q.agency) ?? "", html: "<span class=\"muted\">\(Markup.escape(name(q.agency) ?? ""))</span>")]
                          + Self.queueStates.map { .init(q.states[$0] ?? 0) } + [.init(q.paused ? "paused" : "", html: control)])
        }
        return t
    }

    var deadTable: DashboardTable {
        var t = DashboardTable(id: "dead", columns: [
            .init(title: "văn bản / message", key: "message"), .init(title: "DocumentId", key: "documentId"),
            .init(title: "gửi → nhận / from → to", key: "route"), .init(title: "lần thử / attempts", key: "attempts", numeric: true),
            .init(title: "lỗi cuối / last error", key: "lastError"), .init(title: "", key: "action"),
        ], empty: "không có / no dead delivery")
        for d in dead {
            t.rows.append([
                .init(d.messageId, html: "<a href=\"/?lookup=\(Markup.query(d.messageId))\" data-message=\"\(Markup.escape(d.messageId))\" data-recipient=\"\(Markup.escape(d.recipient))\">\(Markup.escape(String(d.messageId.prefix(13))))…</a>"),
                .init(d.documentId ?? ""),
                .init("\(d.sender) → \(d.recipient)", html: "<a href=\"/agencies/\(Markup.escape(d.sender))\">\(Markup.escape(d.sender))</a> → <a href=\"/agencies/\(Markup.escape(d.recipient))\">\(Markup.escape(d.recipient))</a>"),
                .init(d.attempts),
                .init(String((d.reason ?? "").prefix(300))),
                .init("", html: "<form class=\"inline\" method=\"post\" action=\"/dashboard/requeue\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\"><input type=\"hidden\" name=\"message\" value=\"\(Markup.escape(d.messageId))\"><input type=\"hidden\" name=\"recipient\" value=\"\(Markup.escape(d.recipient))\"><button class=\"requeue\">Gửi lại / Requeue</button></form>"),
            ])
        }
        return t
    }

    var peersTable: DashboardTable {
        var t = DashboardTable(id: "peers", columns: [
            .init(title: "trục / hub", key: "hub"), .init(title: "kết nối / reachable", key: "reachable"),
            .init(title: "thành công cuối / last success", key: "lastSuccess"), .init(title: "lỗi cuối / last failure", key: "lastFailure"),
        ], empty: "không có trục ngang hàng / no peer hub configured")
        for p in peers {
            let state = p.reachable.map { $0 ? "yes" : "no" } ?? "not contacted yet"
            let stateHTML = p.reachable.map { $0 ? "<span class=\"ok\">có / yes</span>" : "<span class=\"bad\">không / no</span>" } ?? "<span class=\"muted\">chưa liên lạc / not contacted yet</span>"
            t.rows.append([.init(p.code, html: "\(Markup.escape(p.code)) <span class=\"muted\">\(p.dialect)</span><br><span class=\"muted\">\(Markup.escape(p.url))</span>"),
                           .init(state, html: stateHTML), .init(Markup.time(p.lastSuccess)),
                           .init("\(Markup.time(p.lastFailure)) \(p.lastError ?? "")", html: "\(Markup.time(p.lastFailure))<br><span class=\"muted\">\(Markup.escape(p.lastError ?? ""))</span>")])
        }
        return t
    }

    static func refusalsByCode(_ counts: RefusalCounts) -> DashboardTable {
        var t = DashboardTable(id: "refusals-by-code", columns: [.init(title: "mã lỗi / code", key: "code"), .init(title: "số / count", key: "count", numeric: true)])
        t.rows = counts.byCode.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { [.init($0.key), .init($0.value)] }
        return t
    }

    var refusalsBySender: DashboardTable {
        var t = DashboardTable(id: "refusals-by-agency", columns: [.init(title: "cơ quan gửi / sender", key: "sender"), .init(title: "số / count", key: "count", numeric: true)])
        t.rows = refusalCounts.bySender.map { [.init($0.sender, html: Markup.agency($0.sender, name($0.sender))), .init($0.count)] }
        return t
    }

    static func refusalsTable(_ refusals: [Refusal], id: String) -> DashboardTable {
        var t = DashboardTable(id: id, columns: [
            .init(title: "thời gian / time", key: "time"), .init(title: "gửi / sender", key: "sender"), .init(title: "DocumentId", key: "documentId"),
            .init(title: "mã lỗi / code", key: "code"), .init(title: "lý do / reasons", key: "reasons"),
        ], empty: "không có văn bản bị từ chối / no refused document")
        for r in refusals {
            let sender = r.sender ?? r.caller
            t.rows.append([.init(String(r.time.prefix(19)).replacingOccurrences(of: "T", with: " ")),
                           .init(sender, html: "<a href=\"/agencies/\(Markup.escape(sender))\">\(Markup.escape(sender))</a>"),
                           .init(r.documentId ?? ""), .init(r.code), .init(r.reasons.joined(separator: "; "),
                                                                            html: Markup.escape(String(r.reasons.joined(separator: "; ").prefix(400))))])
        }
        return t
    }

    static func ratioTable(_ groups: [SignedRatioReport.Group], id: String, keyTitle: String, link: Bool) -> DashboardTable {
        var t = DashboardTable(id: id, columns: [.init(title: keyTitle, key: "key"), .init(title: "tên / name", key: "name"),
                                                 .init(title: "văn bản / documents", key: "documents", numeric: true)]
            + DashboardChart.buckets.map { .init(title: $0.series.name, key: $0.key, numeric: true) }
            + [.init(title: "ký số / signed", key: "signedRatio", numeric: true)])
        for g in groups {
            let c = g.counts
            t.rows.append([.init(g.key, html: link ? "<a href=\"/agencies/\(Markup.escape(g.key))\">\(Markup.escape(g.key))</a>" : Markup.escape(g.key)),
                           .init(g.name ?? "", html: "<span class=\"muted\">\(Markup.escape(g.name ?? ""))</span>"), .init(c.total)]
                          + DashboardChart.buckets.map { .init($0.count(c)) }
                          + [.init(c.signedRatio.map { String(format: "%.4f", $0) } ?? "", html: Markup.percent(c.signedRatio))])
        }
        return t
    }

    var ratioGroups: [SignedRatioReport.Group] { ratio.groups.sorted { ($0.counts.total, $1.key) > ($1.counts.total, $0.key) } }

    /// Documents sent and received on each day (days without any included, so the series has no holes).
    static func volumeTable(_ volume: [VolumeRow], days: [String], id: String) -> DashboardTable {
        var t = DashboardTable(id: id, columns: [.init(title: "ngày / day", key: "day"), .init(title: "gửi / sent", key: "sent", numeric: true),
                                                 .init(title: "nhận / received", key: "received", numeric: true)])
        let byDay = Dictionary(volume.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        t.rows = days.map { [.init($0), .init(byDay[$0]?.sent ?? 0), .init(byDay[$0]?.received ?? 0)] }
        return t
    }

    /// The bar chart of a `volumeTable`: sent and received per day.
    static func volumeChart(_ table: DashboardTable, id: String) -> String {
        DashboardChart.columns(id: id, title: "văn bản gửi và nhận mỗi ngày / documents sent and received per day",
                               xTitle: "ngày / day", yTitle: "văn bản / documents", labels: table.rows.map { String($0[0].text.suffix(5)) },
                               series: [.init(name: "gửi / sent", color: "#0072B2", pattern: .solid),
                                        .init(name: "nhận / received", color: "#E69F00", pattern: .diagonal)],
                               values: table.rows.map { [Int($0[1].text) ?? 0, Int($0[2].text) ?? 0] })
    }

    var volumeTable: DashboardTable { Self.volumeTable(volume, days: range.days, id: "volume") }

    /// Every table of the page, by id (the CSV export).
    var tables: [DashboardTable] {
        [statesTable, agencyQueuesTable, deadTable, peersTable, Self.refusalsByCode(refusalCounts), refusalsBySender,
         Self.refusalsTable(refusals, id: "refusals-latest"), Self.ratioTable(ratioGroups, id: "ratio", keyTitle: "cơ quan / agency", link: true), volumeTable]
    }

    func csvLink(_ table: String) -> String { "/?\(range.query)&format=csv&table=\(table)" }

    // MARK: the page

    var html: String {
        let body = range.picker(path: "/")
        return DashboardShell.page(title: "Tổng quan / Overview", hubCode: hubCode, now: now, csrf: csrf, notice: notice, error: error,
                                   refresh: lookup == nil,
                                   body: "<section class=\"wide\" id=\"summary\">\(body)\(figures)</section>"
                                       + minuteTraffic + dailyTraffic + queues + oldestAndPeers + agencyQueues + deadLetters
                                       + refusalSection + ratioSection + lookupSection)
    }

    var figures: String {
        let pending = Self.queueStates.dropLast().reduce(0) { $0 + (view.states[$1] ?? 0) }
        let t = ratio.totals
        func figure(_ id: String, _ value: String, _ label: String, bad: Bool = false) -> String {
            "<div><div class=\"big\(bad ? " bad" : "")\" id=\"\(id)\">\(value)</div><div class=\"muted\">\(label)</div></div>"
        }
        return "<div class=\"figures\">"
            + figure("in-minute", Markup.count(view.receivedLastMinute), "nhận, 1 phút qua / in, last minute")
            + figure("out-minute", Markup.count(view.deliveredLastMinute), "giao, 1 phút qua / out, last minute")
            + figure("in-hour", Markup.count(view.receivedLastHour), "nhận, 1 giờ qua / in, last hour")
            + figure("pending", Markup.count(pending), "chưa giao / undelivered")
            + figure("dead-count", Markup.count(view.states["dead"] ?? 0), "thất bại / dead letters", bad: (view.states["dead"] ?? 0) > 0)
            + figure("oldest-age", view.oldest.map { Markup.age($0.ageSeconds) } ?? "–", "chờ lâu nhất / oldest undelivered")
            + figure("refused-count", Markup.count(refusalCounts.total), "bị từ chối / refused, \(range.kind == .today ? "hôm nay / today" : range.kind.rawValue)")
            + figure("ratio-total", Markup.percent(t.signedRatio), "ký số / signed, \(Markup.count(t.total)) văn bản / documents")
            + (forecast.map { f in
                let days = f.daysUntilFull.map { $0.isFinite ? "\(Int($0)) ngày / days" : "∞" } ?? "–"
                return figure("disk-full", days, "đầy đĩa, theo 7 ngày qua / disk full at the last week's rate; "
                              + "\(Markup.count(Int(f.diskBytes >> 20))) MiB, +\(Markup.count(Int(f.growthBytesPerDay) >> 20)) MiB/ngày / day",
                              bad: (f.daysUntilFull ?? .infinity) < Double(forecastThresholdDays))
            } ?? "")
            + "</div>"
    }

    var minuteTraffic: String {
        let labels = (0..<30).map { i in i == 29 ? "0" : "-\(29 - i)" }
        return "<section id=\"traffic\">" + DashboardShell.heading("Lưu lượng 30 phút / Traffic, last 30 minutes", asOf: now)
            + DashboardChart.columns(id: "minute-chart", title: "văn bản nhận mỗi phút / messages accepted per minute",
                                     xTitle: "phút trước / minutes ago", yTitle: "văn bản / messages", labels: labels,
                                     series: [.init(name: "nhận / accepted", color: "#0072B2", pattern: .solid)],
                                     values: view.receivedPerMinute.map { [$0] })
            + "</section>"
    }

    var dailyTraffic: String {
        "<section id=\"daily\">" + DashboardShell.heading("Văn bản theo ngày / Documents per day, \(range.label)", csv: csvLink("volume"), asOf: ratioAt)
            + Self.volumeChart(volumeTable, id: "daily-chart")
            + "</section>"
    }

    var queues: String {
        "<section class=\"third\" id=\"queues\">" + DashboardShell.heading("Hàng đợi / Queues", csv: csvLink("states"), asOf: now) + statesTable.html + "</section>"
    }

    var oldestAndPeers: String {
        var h = "<section class=\"third\" id=\"oldest-card\">" + DashboardShell.heading("Chưa giao lâu nhất / Oldest undelivered")
        if let o = view.oldest {
            h += """
                <p id="oldest"><span class="big">\(Markup.age(o.ageSeconds))</span><br>văn bản / message <a href="/?lookup=\(Markup.query(o.messageId))">\(Markup.escape(o.messageId))</a>
                → <a href="/agencies/\(Markup.escape(o.recipient))">\(Markup.escape(o.recipient))</a> (\(Markup.escape(Self.stateTitles[o.state] ?? o.state))), nhận lúc / received \(Markup.time(o.receivedAt))</p>
                """
        } else {
            h += "<p id=\"oldest\" class=\"ok\">Đã giao hết / everything accepted has been delivered.</p>"
        }
        h += "</section><section class=\"third\" id=\"peers-card\">" + DashboardShell.heading("Trục ngang hàng / Peer hubs", csv: csvLink("peers")) + peersTable.html + "</section>"
        return h
    }

    var agencyQueues: String {
        var table = agencyQueuesTable
        let all = table.rows.count
        table.rows = Array(table.rows.prefix(50))
        return "<section class=\"wide\" id=\"agency-queues-card\">" + DashboardShell.heading("Hàng đợi theo cơ quan / Queues by agency", csv: csvLink("agency-queues"), asOf: now)
            + table.html
            + (all > 50 ? "<p class=\"muted\">50 / \(all) cơ quan nhiều việc nhất; tất cả trong CSV / the 50 busiest of \(all) agencies; all of them in the CSV.</p>" : "")
            + "</section>"
    }

    var deadLetters: String {
        "<section class=\"wide\" id=\"dead-card\">" + DashboardShell.heading("Thư chết / Dead letters (\(dead.count))", csv: csvLink("dead")) + deadTable.html + "</section>"
    }

    var refusalSection: String {
        var latest = Self.refusalsTable(refusals, id: "refusals-latest")
        latest.rows = Array(latest.rows.prefix(30))
        return "<section id=\"refusals\">" + DashboardShell.heading("Từ chối theo mã / Refused, by code", csv: csvLink("refusals-by-code"))
            + "<p class=\"muted\">\(range.label): \(Markup.count(refusalCounts.total))</p>" + Self.refusalsByCode(refusalCounts).html + "</section>"
            + "<section id=\"refusals-senders\">" + DashboardShell.heading("Từ chối theo cơ quan / Refused, by sender", csv: csvLink("refusals-by-agency"))
            + refusalsBySender.html + "</section>"
            + "<section class=\"wide\" id=\"refusals-latest-card\">" + DashboardShell.heading("Văn bản bị từ chối gần nhất / Latest refused documents", csv: csvLink("refusals-latest"))
            + latest.html + "</section>"
    }

    var ratioSection: String {
        let groups = ratioGroups
        let top = groups.prefix(20).map { g in (label: "\(g.key) \(g.name ?? "")", href: Optional("/agencies/\(g.key)"), counts: g.counts) }
        // The page shows 100 rows (at national scale there are tens of thousands: the CSV has them all).
        let table = Self.ratioTable(Array(groups.prefix(100)), id: "ratio", keyTitle: "cơ quan / agency", link: true)
        let t = ratio.totals
        return "<section class=\"wide\" id=\"ratio-card\">"
            + DashboardShell.heading("Tỷ lệ văn bản ký số / Signed-document ratio, \(range.label)", csv: csvLink("ratio"), asOf: ratioAt)
            + "<p class=\"muted\" id=\"ratio-definition\">Định nghĩa / Definition: \(Markup.escape(SignedRatioReport.definitionText))</p>"
            + "<p>Tất cả / all senders: <b>\(Markup.percent(t.signedRatio))</b> của / of \(Markup.count(t.total)) văn bản / documents; cơ quan ký / organisation-signed \(Markup.percent(t.organisationSignedRatio)); ký đủ / fully signed \(Markup.percent(t.fullySignedRatio)).</p>"
            + (top.isEmpty ? "" : DashboardChart.ratioBars(id: "ratio-chart", title: "tỷ lệ ký số theo cơ quan / signed ratio by agency", rows: top))
            + "<p class=\"muted\">\(min(groups.count, 20)) cơ quan gửi nhiều nhất trong biểu đồ, \(min(groups.count, 100)) trong bảng, \(groups.count) trong CSV / the \(min(groups.count, 20)) busiest senders in the chart, \(min(groups.count, 100)) in the table, all \(groups.count) in the CSV.</p>"
            + table.html + "</section>"
    }

    var lookupSection: String {
        var h = """
            <section class="wide" id="lookup-card"><h2>Tra cứu / Look up a message</h2>
            <form method="get" action="/"><input type="text" name="lookup" placeholder="mã văn bản của trục hoặc DocumentId / hub message id or DocumentId" value="\(Markup.escape(lookup?.key ?? ""))" size="48"> <button>Tra cứu / Look up</button></form>
            """
        if let lookup {
            if lookup.messages.isEmpty { h += "<p id=\"lookup-result\" class=\"bad\">Không có văn bản này / no message has that id or DocumentId.</p>" }
            for (m, deliveries, statuses, receipts) in lookup.messages {
                h += """
                    <div id="lookup-result"><p><b>\(Markup.escape(m.id))</b> · \(Self.kindTitles[m.kind] ?? Markup.escape(m.kind)) từ / from <a href="/agencies/\(Markup.escape(m.sender))">\(Markup.escape(m.sender))</a> \(Markup.escape(name(m.sender) ?? ""))
                    · DocumentId \(Markup.escape(m.documentId ?? "–")) · nhận lúc / received \(Markup.time(m.receivedAt)) · chữ ký / signatures: \(Markup.escape(DashboardChart.buckets.first { $0.key == m.bucket }?.series.name ?? m.bucket))
                    · <a class="validation-report" href="/messages/\(Markup.query(m.id))/validation-report">báo cáo kiểm tra chữ ký (ETSI) / validation report</a></p>
                    """
                var t = DashboardTable(id: "lookup-deliveries", columns: [
                    .init(title: "nơi nhận / recipient", key: "recipient"), .init(title: "trạng thái / state", key: "state"),
                    .init(title: "lần thử / attempts", key: "attempts", numeric: true), .init(title: "đã giao / delivered", key: "delivered"),
                    .init(title: "cách / how", key: "how"), .init(title: "lý do / reason", key: "reason"),
                ])
                t.rows = deliveries.map { d in
                    [.init(d.recipient, html: Markup.agency(d.recipient, name(d.recipient))),
                     .init(d.state, html: Markup.escape(Self.stateTitles[d.state] ?? d.state)), .init(d.attempts),
                     .init(Markup.time(d.deliveredAt)), .init(d.how ?? ""), .init(d.reason ?? "")]
                }
                h += t.html
                if !statuses.isEmpty {
                    h += "<p>Trạng thái / status messages: " + statuses.map { "\(Markup.escape($0.statusCode ?? "?")) từ / from \(Markup.escape($0.sender)) lúc / at \(Markup.time($0.receivedAt))" }.joined(separator: "; ") + "</p>"
                }
                if !receipts.isEmpty {
                    h += "<p>Biên nhận / delivery receipts: " + receipts.map { "\(Markup.escape($0.receiptId)) lúc / at \(Markup.time($0.issuedAt))" }.joined(separator: "; ") + "</p>"
                }
                h += "</div>"
            }
        }
        return h + "</section>"
    }
}
