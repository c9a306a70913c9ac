import Foundation
import Testing
import TrucTestSupport
import TrucServer
import NIOHTTP1

/// The alerting rules (deploy/prometheus) are valid, behave as their unit tests say, and name only metrics
/// the hub exposes.
@Suite("Alerting rules", .timeLimit(.minutes(30)))
struct AlertRulesTests {
    static let folder = LiveHub.repo.appendingPathComponent("deploy/prometheus")

    @Test("promtool check rules and promtool test rules pass", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")))
    func promtool() async throws {
        let check = try await Program.run(URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "rules", Self.folder.appendingPathComponent("truc-alerts.yml").path])
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")
        let test = try await Program.run(URL(fileURLWithPath: "/usr/bin/promtool"), ["test", "rules", Self.folder.appendingPathComponent("truc-alerts.test.yml").path])
        #expect(test.exitCode == 0 && test.stdout.contains("SUCCESS"), "\(test.stdout)\(test.stderr)")
        // The scrape configuration example (with the rules it names) is one Prometheus accepts; the files it
        // names are the operator's, so they are checked for syntax only.
        let config = try await Program.run(URL(fileURLWithPath: "/usr/bin/promtool"),
                                     ["check", "config", "--syntax-only", Self.folder.appendingPathComponent("prometheus.yml").path])
        #expect(config.exitCode == 0, "\(config.stdout)\(config.stderr)")
    }

    @Test("the scrape-only token reads /metrics and nothing else; the operator token still reads it")
    func scrapeToken() async throws {
        try await LiveHub.run(configure: { $0.metricsToken = "prometheus-scrape-only-token" }) { hub in
            let scraped = try await hub.request(.GET, "/metrics", token: "prometheus-scrape-only-token")
            #expect(scraped.status == 200 && String(decoding: scraped.body, as: UTF8.self).contains("truc_queue_depth_deliveries"))
            #expect(try await hub.request(.GET, "/metrics", token: hub.operatorToken).status == 200)
            #expect(try await hub.request(.GET, "/v1/admin/queues", token: "prometheus-scrape-only-token").status == 403)
            #expect(try await hub.request(.GET, "/v1/inbox", token: "prometheus-scrape-only-token").status == 403)
            #expect(try await hub.request(.GET, "/v1/stats/signed-ratio?month=2026-12", token: "prometheus-scrape-only-token").status == 403)
        }
    }

    @Test("every truc_ metric the rules use is exposed by a running hub's /metrics")
    func metricsExist() async throws {
        let rules = try String(contentsOf: Self.folder.appendingPathComponent("truc-alerts.yml"), encoding: .utf8)
        let used = Set(rules.matches(of: /truc_[a-z_]+/).map { String($0.output) })
        #expect(used.count >= 10)
        try await LiveHub.run { hub in
            #expect(try await hub.post("signatures/pdf-tampered.edxml", token: try await hub.token("000.00.00.G22")).status == 422)
            let text = String(decoding: try await hub.request(.GET, "/metrics", token: hub.operatorToken).body, as: UTF8.self)
            // Series that exist only once something happened: a peer contacted, a service error.
            let onlyAfterEvents: Set<String> = ["truc_peer_up", "truc_service_errors_total", "truc_archive_failures_total"]
            let source = try String(contentsOf: LiveHub.repo.appendingPathComponent("Sources/TrucServer/HubMetrics.swift"), encoding: .utf8)
            for name in used.sorted() {
                if onlyAfterEvents.contains(name) {
                    #expect(source.contains("\"\(name.dropFirst(5).replacingOccurrences(of: "_total", with: ""))\""), "\(name) is not made by HubMetrics")
                } else {
                    #expect(text.contains("\n\(name)") || text.contains("\(name){") || text.hasPrefix(name), "\(name) is not in /metrics")
                }
            }
        }
    }
}
