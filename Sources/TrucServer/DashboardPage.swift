import EdXML
import Foundation
import TrucCore
import TrucStore

/// The operator's dashboard as server-rendered HTML: no script, no external resource, UTF-8 throughout.
/// Pure: built from what the store and the peer board say.
struct DashboardPage {
    struct Lookup {
        let key: String
        let messages: [(FoundMessage, [DeliveryTrace], [StatusTrace], [ReceiptTrace])]
    }

    let hubCode: String
    let now: Int64
    let view: OperationsView
    let peers: [PeerStatusBoard.Entry]
    let dead: [QueuedDelivery]
    let ratio: SignedRatioReport
    let names: [String: String]
    let csrf: String
    let notice: String?
    let lookup: Lookup?
    /// The latest refusals and the counts of the last 7 days.
    var refusals: [Refusal] = []
    var refusalCounts = RefusalCounts(total: 0, byCode: [:], bySender: [])

    /// For text and double-quoted attributes alike.
    static func escape(_ text: String) -> String { MarkupEscape.attribute(text) }

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

    static let style = """
        body{font-family:"Noto Sans","DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
        header{background:#12355b;color:#fff;padding:12px 24px;display:flex;justify-content:space-between;align-items:center}
        header h1{font-size:20px;margin:0} main{padding:16px 24px;display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(440px,1fr))}
        section{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px #0002;overflow-x:auto} h2{font-size:16px;margin:4px 0 10px}
        table{border-collapse:collapse;width:100%;font-size:13px} th,td{padding:4px 6px;border-bottom:1px solid #e3e7eb;text-align:left;vertical-align:top}
        td.n,th.n{text-align:right} .big{font-size:28px;font-weight:600} .figures{display:flex;gap:24px;flex-wrap:wrap}
        .ok{color:#1b7f3b} .bad{color:#b3261e} .muted{color:#68737d} .notice{background:#fff4ce;padding:8px 24px}
        button{font:inherit;font-size:12px;padding:2px 8px;cursor:pointer} form.inline{display:inline}
        input[type=text]{font:inherit;padding:3px 6px;width:320px} .wide{grid-column:1/-1}
        """

    var html: String {
        var h = """
            <!DOCTYPE html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            \(lookup == nil ? "<meta http-equiv=\"refresh\" content=\"30\">" : "")
            <title>Truc · \(Self.escape(hubCode))</title><style>\(Self.style)</style></head><body>
            <header><h1>Trục liên thông văn bản · Truc hub \(Self.escape(hubCode))</h1>
            <div>\(Self.time(now)) (giờ Việt Nam) <form class="inline" method="post" action="/logout"><input type="hidden" name="csrf" value="\(csrf)"><button>Đăng xuất / Log out</button></form></div></header>
            """
        if let notice { h += "<div class=\"notice\" id=\"notice\">\(Self.escape(notice))</div>" }
        h += "<main>"
        h += traffic + queues + oldestAndPeers + deadLetters + refusalSection + lookupSection + ratioSection
        h += "</main></body></html>"
        return h
    }

    var traffic: String {
        let maxPerMinute = max(1, view.receivedPerMinute.max() ?? 1)
        var bars = ""
        for (i, n) in view.receivedPerMinute.enumerated() {
            let height = Double(n) / Double(maxPerMinute) * 50
            bars += "<rect x=\"\(i * 10)\" y=\(String(format: "\"%.1f\"", 52 - height)) width=\"8\" height=\(String(format: "\"%.1f\"", height)) fill=\"#2f6db5\"><title>\(n)</title></rect>"
        }
        return """
            <section><h2>Lưu lượng / Traffic</h2><div class="figures">
            <div><div class="big" id="in-minute">\(view.receivedLastMinute)</div><div class="muted">nhận / in, last minute</div></div>
            <div><div class="big" id="out-minute">\(view.deliveredLastMinute)</div><div class="muted">giao / out, last minute</div></div>
            <div><div class="big">\(view.receivedLastHour)</div><div class="muted">in, last hour</div></div>
            <div><div class="big">\(view.deliveredLastHour)</div><div class="muted">out, last hour</div></div></div>
            <svg width="300" height="56" role="img" aria-label="messages in per minute, last 30 minutes">\(bars)</svg>
            <div class="muted">messages accepted per minute, last 30 minutes</div></section>
            """
    }

    var queues: String {
        let order = ["awaiting-pull", "queued", "sending", "waiting-retry", "dead", "delivered", "failed"]
        var rows = ""
        for agency in view.agencies.prefix(200) {
            let cells = ["awaiting-pull", "queued", "sending", "waiting-retry", "dead"].map { "<td class=\"n\">\(agency.states[$0] ?? 0)</td>" }.joined()
            let action = agency.paused ? "resume" : "pause"
            // Pausing holds pushes and forwards: offered only where the agency has some (pulls are not affected).
            let pushes = ["queued", "sending", "waiting-retry", "dead"].contains { (agency.states[$0] ?? 0) > 0 }
            let control = agency.paused || pushes
                ? "<form class=\"inline\" method=\"post\" action=\"/dashboard/\(action)\"><input type=\"hidden\" name=\"csrf\" value=\"\(csrf)\"><input type=\"hidden\" name=\"agency\" value=\"\(Self.escape(agency.agency))\"><button>\(action == "pause" ? "Pause" : "Resume")</button></form>"
                : "<span class=\"muted\" data-pull-only=\"\(Self.escape(agency.agency))\">pull</span>"
            rows += """
                <tr><td>\(Self.escape(agency.agency))<br><span class="muted">\(Self.escape(names[agency.agency] ?? ""))</span>\(agency.paused ? " <b class=\"bad\">paused</b>" : "")</td>\(cells)
                <td>\(control)</td></tr>
                """
        }
        return """
            <section><h2>Hàng đợi / Queues</h2>
            <table id="states"><tr>\(order.map { "<th class=\"n\">\($0)</th>" }.joined())</tr>
            <tr>\(order.map { "<td class=\"n\" data-state=\"\($0)\">\(view.states[$0] ?? 0)</td>" }.joined())</tr></table>
            <h2 style="margin-top:14px">Theo cơ quan / By agency</h2>
            <table id="agency-queues"><tr><th>agency</th><th class="n">awaiting pull</th><th class="n">queued</th><th class="n">sending</th><th class="n">waiting retry</th><th class="n">dead</th><th></th></tr>
            \(rows.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">nothing waiting</td></tr>" : rows)</table></section>
            """
    }

    var oldestAndPeers: String {
        var h = "<section><h2>Chưa giao lâu nhất / Oldest undelivered</h2>"
        if let o = view.oldest {
            h += """
                <p id="oldest"><span class="big">\(Self.age(o.ageSeconds))</span> — message <a href="/?lookup=\(Self.escape(o.messageId))">\(Self.escape(o.messageId))</a>
                to \(Self.escape(o.recipient)) (\(Self.escape(o.state))), received \(Self.time(o.receivedAt))</p>
                """
        } else {
            h += "<p id=\"oldest\" class=\"ok\">Everything accepted has been delivered.</p>"
        }
        h += "<h2>Trục ngang hàng / Peer hubs</h2><table id=\"peers\"><tr><th>hub</th><th>dialect</th><th>reachable</th><th>last success</th><th>last failure</th></tr>"
        if peers.isEmpty { h += "<tr><td colspan=\"5\" class=\"muted\">no peer hub configured</td></tr>" }
        for p in peers {
            let state = p.reachable.map { $0 ? "<span class=\"ok\">yes</span>" : "<span class=\"bad\">no</span>" } ?? "<span class=\"muted\">not contacted yet</span>"
            h += "<tr><td>\(Self.escape(p.code))<br><span class=\"muted\">\(Self.escape(p.url))</span></td><td>\(p.dialect)</td><td>\(state)</td><td>\(Self.time(p.lastSuccess))</td><td>\(Self.time(p.lastFailure))<br><span class=\"muted\">\(Self.escape(p.lastError ?? ""))</span></td></tr>"
        }
        return h + "</table></section>"
    }

    var deadLetters: String {
        var rows = ""
        for d in dead {
            rows += """
                <tr data-message="\(Self.escape(d.messageId))" data-recipient="\(Self.escape(d.recipient))"><td><a href="/?lookup=\(Self.escape(d.messageId))">\(Self.escape(String(d.messageId.prefix(8))))…</a><br><span class="muted">\(Self.escape(d.documentId ?? ""))</span></td>
                <td>\(Self.escape(d.sender)) → \(Self.escape(d.recipient))</td><td class="n">\(d.attempts)</td><td>\(Self.escape(String((d.reason ?? "").prefix(160))))</td>
                <td><form class="inline" method="post" action="/dashboard/requeue"><input type="hidden" name="csrf" value="\(csrf)"><input type="hidden" name="message" value="\(Self.escape(d.messageId))"><input type="hidden" name="recipient" value="\(Self.escape(d.recipient))"><button class="requeue">Requeue</button></form></td></tr>
                """
        }
        return """
            <section class="wide"><h2>Thư chết / Dead letters (\(dead.count))</h2>
            <table id="dead"><tr><th>message</th><th>from → to</th><th class="n">attempts</th><th>last error</th><th></th></tr>
            \(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">no dead delivery</td></tr>" : rows)</table></section>
            """
    }

    var lookupSection: String {
        var h = """
            <section class="wide"><h2>Tra cứu / Look up a message</h2>
            <form method="get" action="/"><input type="text" name="lookup" placeholder="hub message id or DocumentId" value="\(Self.escape(lookup?.key ?? ""))"> <button>Look up</button></form>
            """
        if let lookup {
            if lookup.messages.isEmpty { h += "<p id=\"lookup-result\" class=\"bad\">No message has that id or DocumentId.</p>" }
            for (m, deliveries, statuses, receipts) in lookup.messages {
                h += """
                    <div id="lookup-result"><p><b>\(Self.escape(m.id))</b> · \(m.kind) from \(Self.escape(m.sender)) \(Self.escape(names[m.sender] ?? ""))
                    · DocumentId \(Self.escape(m.documentId ?? "–")) · received \(Self.time(m.receivedAt)) · signatures: \(Self.escape(m.bucket))</p>
                    <table><tr><th>recipient</th><th>state</th><th class="n">attempts</th><th>delivered</th><th>how</th><th>reason</th></tr>
                    """
                for d in deliveries {
                    h += "<tr><td>\(Self.escape(d.recipient)) <span class=\"muted\">\(Self.escape(names[d.recipient] ?? ""))</span></td><td>\(Self.escape(d.state))</td><td class=\"n\">\(d.attempts)</td><td>\(Self.time(d.deliveredAt))</td><td>\(Self.escape(d.how ?? ""))</td><td>\(Self.escape(d.reason ?? ""))</td></tr>"
                }
                h += "</table>"
                if !statuses.isEmpty {
                    h += "<p>Status messages: " + statuses.map { "\(Self.escape($0.statusCode ?? "?")) from \(Self.escape($0.sender)) at \(Self.time($0.receivedAt))" }.joined(separator: "; ") + "</p>"
                }
                if !receipts.isEmpty {
                    h += "<p>Delivery receipts: " + receipts.map { "\(Self.escape($0.receiptId)) at \(Self.time($0.issuedAt))" }.joined(separator: "; ") + "</p>"
                }
                h += "</div>"
            }
        }
        return h + "</section>"
    }

    /// Refused messages: counts by code and by sender over 7 days, and the latest ones with their first reason.
    var refusalSection: String {
        let codes = refusalCounts.byCode.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "<tr><td>\(Self.escape($0.key))</td><td class=\"n\">\($0.value)</td></tr>" }.joined()
        let senders = refusalCounts.bySender.prefix(10)
            .map { "<tr><td>\(Self.escape($0.sender))<br><span class=\"muted\">\(Self.escape(names[$0.sender] ?? ""))</span></td><td class=\"n\">\($0.count)</td></tr>" }
            .joined()
        let latest = refusals.prefix(20).map { r in
            "<tr><td>\(Self.escape(String(r.time.prefix(19)).replacingOccurrences(of: "T", with: " ")))</td><td>\(Self.escape(r.sender ?? r.caller))</td>"
                + "<td>\(Self.escape(r.documentId ?? "–"))</td><td>\(Self.escape(r.code))</td><td>\(Self.escape(String((r.reasons.first ?? "").prefix(160))))</td></tr>"
        }.joined()
        return """
            <section class="wide" id="refusals"><h2>Văn bản bị từ chối, 7 ngày / Refused messages, last 7 days (\(refusalCounts.total))</h2>
            <table id="refusals-by-code"><tr><th>mã lỗi / code</th><th class="n">số / count</th></tr>\(codes)</table>
            <table id="refusals-by-agency"><tr><th>cơ quan gửi / sender</th><th class="n">số / count</th></tr>\(senders)</table>
            <table id="refusals-latest"><tr><th>thời gian / time</th><th>gửi / sender</th><th>DocumentId</th><th>mã lỗi / code</th><th>lý do / reason</th></tr>\(latest)</table>
            </section>
            """
    }

    var ratioSection: String {
        let colors: [(String, String, KeyPath<SignedRatioReport.Counts, Int>)] = [
            ("both", "#1b7f3b", \.both), ("organisation", "#5aa469", \.organisation), ("personal", "#a7d3a6", \.personal),
            ("unsigned", "#c4cad0", \.unsigned), ("indeterminate", "#e8a33d", \.indeterminate), ("invalid", "#b3261e", \.invalid),
        ]
        let top = ratio.groups.sorted { $0.counts.total > $1.counts.total }.prefix(30)
        var svg = "<svg id=\"ratio-chart\" width=\"640\" height=\"\(top.count * 22 + 24)\" role=\"img\" aria-label=\"signed ratio by agency\">"
        for (i, group) in top.enumerated() {
            var x = 230.0
            let y = i * 22
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(Self.escape(String((group.name ?? group.key).prefix(34))))</text>"
            for (name, color, path) in colors {
                let n = group.counts[keyPath: path]
                guard n > 0, group.counts.total > 0 else { continue }
                let w = Double(n) / Double(group.counts.total) * 340
                svg += "<rect x=\(String(format: "\"%.1f\"", x)) y=\"\(y + 3)\" width=\(String(format: "\"%.1f\"", w)) height=\"16\" fill=\"\(color)\"><title>\(name): \(n)</title></rect>"
                x += w
            }
            svg += "<text x=\"578\" y=\"\(y + 15)\" font-size=\"12\">\(Self.percent(group.counts.signedRatio))</text>"
        }
        let legendY = top.count * 22 + 6
        for (i, (name, color, _)) in colors.enumerated() {
            svg += "<rect x=\"\(i * 100)\" y=\"\(legendY)\" width=\"10\" height=\"10\" fill=\"\(color)\"/><text x=\"\(i * 100 + 14)\" y=\"\(legendY + 10)\" font-size=\"11\">\(name)</text>"
        }
        svg += "</svg>"
        var rows = ""
        for group in top {
            let c = group.counts
            rows += "<tr><td>\(Self.escape(group.key))<br><span class=\"muted\">\(Self.escape(group.name ?? ""))</span></td><td class=\"n\">\(c.total)</td><td class=\"n\">\(c.both)</td><td class=\"n\">\(c.organisation)</td><td class=\"n\">\(c.personal)</td><td class=\"n\">\(c.unsigned)</td><td class=\"n\">\(c.indeterminate)</td><td class=\"n\">\(c.invalid)</td><td class=\"n\">\(Self.percent(c.signedRatio))</td></tr>"
        }
        let t = ratio.totals
        return """
            <section class="wide"><h2>Tỷ lệ văn bản ký số, 30 ngày / Signed-document ratio, last 30 days (\(ratio.from) – \(ratio.to))</h2>
            <p class="muted" id="ratio-definition">Định nghĩa / Definition: \(Self.escape(SignedRatioReport.definitionText))</p>
            <p>All senders: <b id="ratio-total">\(Self.percent(t.signedRatio))</b> of \(t.total) documents signed; organisation-signed \(Self.percent(t.organisationSignedRatio)); fully signed \(Self.percent(t.fullySignedRatio)). The 30 agencies that sent most are shown.</p>
            \(svg)
            <table id="ratio"><tr><th>agency</th><th class="n">documents</th><th class="n">both</th><th class="n">organisation</th><th class="n">personal</th><th class="n">unsigned</th><th class="n">indeterminate</th><th class="n">invalid</th><th class="n">signed</th></tr>\(rows)</table>
            </section>
            """
    }

    static func login(error: String?) -> String {
        """
        <!DOCTYPE html>
        <html lang="vi"><head><meta charset="utf-8"><title>Truc · đăng nhập</title><style>\(style)</style></head><body>
        <header><h1>Trục liên thông văn bản · Truc</h1></header>
        <main><section><h2>Đăng nhập vận hành / Operator login</h2>
        \(error.map { "<p class=\"bad\" id=\"login-error\">\(escape($0))</p>" } ?? "")
        <form method="post" action="/login"><input type="password" name="token" placeholder="operator token" autofocus> <button id="login">Đăng nhập / Log in</button></form>
        </section></main></body></html>
        """
    }
}
