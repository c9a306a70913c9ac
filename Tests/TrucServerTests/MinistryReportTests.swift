import Foundation
import NIOHTTP1
import Testing
import TrucCore
import TrucStore
import TrucTestSupport
@testable import TrucVocabulary
@testable import TrucSQLiteStore

/// The signed-ratio report as a ministry's analyst opens it: a spreadsheet or pandas, every agency of the
/// scope, sorted, by month, with the decimal mark of a Vietnamese spreadsheet.
@Suite("Reports a ministry can open", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1")), .timeLimit(.minutes(30)))
struct MinistryReportTests {
    /// Runs `script` with python3 on the report saved to a file; its stdout.
    static func python(_ script: String, _ body: [UInt8]) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("truc-report-\(UUID().uuidString).csv")
        try Data(body).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, file.path], timeLimit: 120)
        #expect(run.exitCode == 0, "\(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("a province's subtree: every agency a row (one that sent nothing with zeros), the header on line 1 for csv and pandas, sorted, by month, semicolons with decimal commas")
    func provinceSubtree() async throws {
        try await LiveHub.run { hub in
            try await hub.store.upsert(Agency(code: "000.00.13.H41", name: "Sở Nội vụ Nghệ An", parent: "000.00.00.H41"))
            let h41 = try await hub.token("000.00.00.H41"), department = try await hub.token("000.00.12.H41")
            // The province sends one unsealed document, its department one sealed with its own certificate; the
            // other department sends nothing.
            let unsealed = String(decoding: try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pdf-unsigned.edxml"))), as: UTF8.self)
                .replacingOccurrences(of: "<edXML:OrganId>000.00.00.H41</edXML:OrganId>", with: "<edXML:OrganId>000.00.00.G22</edXML:OrganId>")
            let first = try #require(unsealed.range(of: "<edXML:OrganId>000.00.00.G22</edXML:OrganId>"))
            let fromH41 = unsealed.replacingCharacters(in: first, with: "<edXML:OrganId>000.00.00.H41</edXML:OrganId>")
                .replacingOccurrences(of: "000.00.00.G22,", with: "000.00.00.H41,")
            #expect(try await hub.request(.POST, "/v1/messages", token: h41, body: Array(fromH41.utf8)).status == 202)
            let sealed = try await SealAttributionTests.sealed(as: "000.00.12.H41", by: "000.00.12.H41", number: 9)
            let sent = try await hub.request(.POST, "/v1/messages", token: department, body: sealed)
            #expect(sent.status == 202 && (sent.json?["signature"] as? [String: Any])?["bucket"] as? String == "organisation",
                    "\(String(decoding: sent.body.prefix(300), as: UTF8.self))")

            let today = CivilCalendarToday.string
            let base = "/v1/stats/signed-ratio?agency=000.00.00.H41&scope=subtree&groupBy=agency"
            let csv = try await hub.request(.GET, base + "&from=\(today)&to=\(today)&format=csv", token: h41)
            #expect(csv.status == 200)
            // Python's csv module and pandas read the header from line 1 (the BOM is read as the encoding's).
            let dictReader = try await Self.python("""
                import csv, sys
                rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
                print(";".join(f"{r['agency']}={r['total']}/{r['organisation']}/{r['signedRatio']}" for r in rows))
                """, csv.body)
            #expect(dictReader == "000.00.00.H41=1/0/0.0000;000.00.12.H41=1/1/1.0000;000.00.13.H41=0/0/;total=2/1/0.5000", "\(dictReader)")
            let pandas = try await Self.python("""
                import pandas, sys
                frame = pandas.read_csv(sys.argv[1], encoding="utf-8-sig", dtype={"agency": str})
                print(list(frame.columns)[:3], len(frame), frame.loc[frame.agency == "000.00.13.H41", "name"].item(),
                      frame.loc[frame.agency == "total", "signedRatio"].item())
                """, csv.body)
            #expect(pandas == "['agency', 'name', 'total'] 4 Sở Nội vụ Nghệ An 0.5", "\(pandas)")

            // Sorted by signed ratio, highest first; an agency with nothing sent last.
            let sorted = try #require(try await hub.request(.GET, base + "&from=\(today)&to=\(today)&sort=signedRatio&order=desc", token: h41).json)
            #expect((sorted["groups"] as? [[String: Any]])?.map { $0["key"] as? String } == ["000.00.12.H41", "000.00.00.H41", "000.00.13.H41"])
            let ascending = try #require(try await hub.request(.GET, base + "&from=\(today)&to=\(today)&sort=signedRatio", token: h41).json)
            #expect((ascending["groups"] as? [[String: Any]])?.map { $0["key"] as? String } == ["000.00.00.H41", "000.00.12.H41", "000.00.13.H41"])
            #expect(try await hub.request(.GET, base + "&from=\(today)&to=\(today)&sort=colour", token: h41).errorCode == "invalid-parameter")

            // A month instead of two days; not both.
            let month = String(today.prefix(7))
            let monthly = try #require(try await hub.request(.GET, base + "&month=\(month)", token: h41).json)
            #expect(monthly["from"] as? String == month + "-01" && (monthly["totals"] as? [String: Any])?["total"] as? Int == 2)
            #expect(try await hub.request(.GET, base + "&month=\(month)&from=\(today)", token: h41).errorCode == "invalid-date")
            #expect(try await hub.request(.GET, base + "&month=2026-13", token: h41).errorCode == "invalid-date")

            // Semicolons and decimal commas, as a spreadsheet set to Vietnamese reads them.
            let semicolon = try await hub.request(.GET, base + "&month=\(month)&format=csv&separator=semicolon", token: h41)
            let text = String(decoding: semicolon.body.dropFirst(3), as: UTF8.self)
            #expect(text.hasPrefix("agency;name;total;") && text.contains("000.00.12.H41;Sở Thông tin và Truyền thông Nghệ An;1;0;0;0;1;0;0;1,0000;1,0000;0,0000"),
                    "\(text)")
            let decimal = try await Self.python("""
                import pandas, sys
                frame = pandas.read_csv(sys.argv[1], encoding="utf-8-sig", sep=";", decimal=",", dtype={"agency": str})
                print(frame.loc[frame.agency == "total", "signedRatio"].item())
                """, semicolon.body)
            #expect(decimal == "0.5")
        }
    }
}
