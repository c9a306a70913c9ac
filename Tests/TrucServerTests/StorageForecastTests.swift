import Foundation
import NIOHTTP1
import Testing
import TrucTestSupport
import TrucServer
import TrucStore

/// The storage forecast: what the store holds by kind and state, its size on disk, its growth over the last week
/// scaled by what a payload byte costs on disk, and the days until the data volume is full — in /metrics (for
/// the alert TrucDiskFullSoon) and on the dashboard.
@Suite("Storage forecast", .timeLimit(.minutes(30)))
struct StorageForecastTests {
    @Test("growth is the last week's payload bytes plus its messages times a message's cost beyond its payload; days until full follow; a store that does not grow is never full; purged payloads do not inflate it")
    func arithmetic() {
        let volume = [StoredVolume(kind: "edoc", final: true, messages: 10, payloadBytes: 800_000, recentPayloadBytes: 560_000, recentMessages: 7),
                      StoredVolume(kind: "status", final: false, messages: 100, payloadBytes: 200_000, recentPayloadBytes: 140_000, recentMessages: 70)]
        let forecast = StorageForecast(volume: volume, diskBytes: 3_000_000, freeBytes: 3_000_000)
        #expect(forecast.growthBytesPerDay == 300_000, "(700,000 payload bytes + 77 messages × 2,000,000 / 110 bytes each) in 7 days")
        // A thousand purged documents keep their rows (1,000 bytes each); the ten stored ones carry their payloads.
        let purged = [StoredVolume(kind: "edoc", final: true, messages: 1_000, payloadBytes: 0, recentPayloadBytes: 0),
                      StoredVolume(kind: "edoc", final: true, messages: 10, payloadBytes: 1_000_000, recentPayloadBytes: 700_000, recentMessages: 7)]
        #expect(StorageForecast(volume: purged, diskBytes: 2_010_000, freeBytes: nil).growthBytesPerDay == 101_000,
                "700,000 payload bytes + 7 messages × 1,000 bytes, in 7 days: not the payload scaled by the purged messages' rows")
        #expect(forecast.daysUntilFull == 10)
        // A store smaller on disk than its payloads (not possible, but never a factor under 1); no free space known.
        #expect(StorageForecast(volume: volume, diskBytes: 10, freeBytes: nil).daysUntilFull == nil)
        #expect(StorageForecast(volume: volume, diskBytes: 10, freeBytes: 700_000).daysUntilFull == 7)
        let idle = StorageForecast(volume: [StoredVolume(kind: "edoc", final: true, messages: 1, payloadBytes: 5, recentPayloadBytes: 0)], diskBytes: 50, freeBytes: 1 << 30)
        #expect(StorageForecast(volume: volume, diskBytes: 10, freeBytes: 700_000).growthBytesPerDay == 100_000, "a disk smaller than the payloads: no cost beyond them")
        #expect(idle.daysUntilFull == .infinity && idle.growthBytesPerDay == 0)
        let json = String(decoding: try! JSONEncoder().encode(idle), as: UTF8.self)
        #expect(!json.contains("daysUntilFull"), "never full is not a number: \(json)")
    }

    @Test("a running hub's /metrics and dashboard give the stored messages by kind and state, the store's size, its growth and the days until full")
    func live() async throws {
        try await LiveHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 202)
            let inbox = try await hub.request(.GET, "/v1/inbox?kind=edoc", token: h41)
            let id = try #require((inbox.json?["items"] as? [[String: Any]])?.first?["messageId"] as? String)
            #expect(try await hub.request(.POST, "/v1/inbox/\(id)/ack", token: h41, body: Array(#"{"outcome":"done"}"#.utf8)).status == 200)
            let text = String(decoding: try await hub.request(.GET, "/metrics", token: hub.operatorToken).body, as: UTF8.self)
            let s = TestText.samples(text)
            // The document still waits for its other recipients; H41's receipt to G22 waits in G22's inbox.
            #expect(s[#"truc_stored_messages{kind="edoc",state="pending"}"#] == 1, "\(text)")
            #expect(s[#"truc_stored_messages{kind="receipt",state="pending"}"#] == 1, "\(text)")
            #expect(s[#"truc_stored_payload_bytes{kind="edoc",state="pending"}"#] == Double(try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pdf-both-zip.edxml"))).count))
            #expect((s["truc_store_disk_bytes"] ?? 0) > 100_000 && (s["truc_store_growth_bytes_per_day"] ?? 0) > 0)
            #expect((s["truc_disk_full_in_days"] ?? 0) > 0 && s["truc_disk_full_in_threshold_days"] == 30)
            try await DashboardPagesTests.Browser.session(hub) { browser in
                let page = try await browser.get("/").text
                #expect(page.contains("id=\"disk-full\"") && page.contains("MiB/ngày / day"), "\(page.prefix(300))")
            }
        }
    }
}
