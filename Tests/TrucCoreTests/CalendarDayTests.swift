import Testing
import TrucCore
@testable import TrucVocabulary

@Suite("Strict report dates and numbers", .timeLimit(.minutes(30)))
struct CalendarDayTests {
    @Test("only real calendar days written yyyy-MM-dd in ASCII digits", arguments: [
        ("2024-02-29", true), ("2023-02-29", false), ("2000-02-29", true), ("1900-02-29", false), ("2024-12-31", true),
        ("2024-13-01", false), ("2024-00-10", false), ("2024-04-31", false), ("2024-01-00", false), ("2024-1-01", false),
        ("2024-01-0½", false), ("٢٠٢٤-٠١-٠١", false), ("２０２４-０１-０１", false), ("01/11/2026", false), (" 2024-01-01", false),
        ("2024-01-01 ", false), ("+024-01-01", false), ("0000-01-01", false), ("", false),
    ])
    func days(_ text: String, _ valid: Bool) {
        #expect((CalendarDay(text) != nil) == valid, "\(text)")
        if valid { #expect(CalendarDay(text)?.description == text) }
    }

    @Test("ranges: both ends, in order, bounded")
    func ranges() {
        #expect(DayRange.parse(from: nil, to: "2024-01-01") == .failure(.missing))
        #expect(DayRange.parse(from: "2024-02-01", to: "2024-01-01") == .failure(.reversed))
        #expect(DayRange.parse(from: "2024-01-0½", to: "2024-01-01") == .failure(.invalidDate("2024-01-0½")))
        #expect(DayRange.parse(from: "2000-01-01", to: "2024-01-01") == .failure(.tooLong(days: 8767)))
        guard case .success(let r) = DayRange.parse(from: "2024-02-28", to: "2024-03-01") else { Issue.record("refused"); return }
        #expect(r.to.daysSinceEpoch - r.from.daysSinceEpoch == 2)
        #expect(CalendarDay("1970-01-01")?.daysSinceEpoch == 0 && CalendarDay("2026-12-01")?.daysSinceEpoch == 20_788)
    }

    @Test("numbers: ASCII digits only, in range")
    func numbers() {
        #expect(ASCIINumber.parse("42", in: 0...100) == 42)
        for bad in ["", "-1", "+1", "1e3", " 1", "٣", "１", "101", "99999999999999999999"] {
            #expect(ASCIINumber.parse(bad, in: 0...100) == nil, "\(bad)")
        }
    }
}

import Foundation

@Suite("The signed-ratio definition is stated once", .timeLimit(.minutes(30)))
struct DefinitionTests {
    @Test("docs/statistics.md states the code's definition word for word")
    func readme() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: repo.appendingPathComponent("docs/statistics.md"), encoding: .utf8)
        #expect(readme.contains("> " + SignedRatioReport.definitionText))
    }

    @Test("the OpenAPI file states it too")
    func openAPI() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spec = try String(contentsOf: repo.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        #expect(spec.contains("        " + SignedRatioReport.definitionText + "\n"))
    }
}
