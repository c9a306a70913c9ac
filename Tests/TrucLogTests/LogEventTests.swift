import Foundation
import Testing
import TrucLog
import TrucTestSupport

/// Events are RFC 8785 canonical JSON: the bytes Python's json module writes with sorted keys, no white space and
/// UTF-8 kept (`json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`: the same escapes —
/// \b \t \n \f \r, \u00xx for the other control characters, `"` and `\` — for ASCII member names), read back to
/// the same event, and refused when they are not canonical.
@Suite("Evidence log events: canonical JSON (RFC 8785)", .timeLimit(.minutes(30)))
struct LogEventTests {
    static var python: Bool { get async { (try? await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import json"]))?.exitCode == 0 } }

    static let awkward = ["UBND tỉnh Nghệ An — Sở Thông tin", "quote \" backslash \\ slash /", "tab\tnewline\nreturn\rform\u{0C}back\u{08}",
                          "nul \u{00} bell \u{07} escape \u{1B} unit \u{1F} delete \u{7F}", "emoji 📄 and 𝕏", ""]

    @Test("the canonical bytes are Python's json.dumps with sorted keys and no white space", .enabled { await python })
    func matchesPython() async throws {
        for (n, text) in Self.awkward.enumerated() {
            let event = LogEvent(kind: "operator", time: "2026-12-07T00:00:00Z", [
                "zeta": .string(text), "alpha": .strings([text, "b"]), "count": .integer(Int64(n) - 3), "Upper": .string("x"),
            ])
            let json = String(decoding: event.canonical, as: UTF8.self)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("truc-event-\(UUID().uuidString).json")
            try Data(event.canonical).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
                import json, sys
                obj = json.loads(open(sys.argv[1], "rb").read())
                sys.stdout.buffer.write(json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
                """, file.path])
            #expect(run.exitCode == 0 && run.stdout == json, "\(json)\n\(run.stdout)\(run.stderr)")
            #expect(LogEvent.parse(event.canonical) == event)
        }
    }

    @Test("bytes that are not the canonical form are not an event: white space, unsorted members, another escape")
    func refusesNonCanonical() {
        let event = LogEvent(kind: "accepted", time: "2026-12-07T00:00:00Z", ["message": .string("a/b")])
        let text = String(decoding: event.canonical, as: UTF8.self)
        #expect(text == #"{"kind":"accepted","message":"a/b","time":"2026-12-07T00:00:00Z","v":1}"#)
        for variant in [text.replacingOccurrences(of: ",", with: ", "), #"{"v":1,"kind":"accepted","message":"a/b","time":"2026-12-07T00:00:00Z"}"#,
                        text.replacingOccurrences(of: "a/b", with: #"a\/b"#)] {
            #expect(LogEvent.parse(Array(variant.utf8)) == nil, "\(variant)")
        }
    }
}
