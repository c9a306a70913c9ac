import EdXML
import Foundation
import TrucCore
import TrucVocabulary

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
