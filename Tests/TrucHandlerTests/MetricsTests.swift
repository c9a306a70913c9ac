import Foundation
import HTTPTypes
import Testing
import TrucTestSupport

@Suite("Metrics", .timeLimit(.minutes(30)))
struct MetricsTests {
    func samples(_ text: String) -> [String: Double] { TestText.samples(text) }

    @Test("/metrics is Prometheus text, for the operator, with intake, verdict and queue figures")
    func scrape() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 202)
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 200)
            #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422)
            #expect(try await hub.request(.get, "/metrics", token: g22).status == 403)
            let scrape = try await hub.request(.get, "/metrics", token: RouterHub.operatorToken)
            #expect(scrape.status == 200)
            let text = String(decoding: scrape.body, as: UTF8.self)
            #expect(text.contains("# TYPE truc_intake_total counter"))
            let s = samples(text)
            #expect(s[#"truc_intake_total{result="accepted"}"#] == 1)
            #expect(s[#"truc_intake_total{result="duplicate"}"#] == 1)
            #expect(s[#"truc_intake_total{result="invalid-signature"}"#] == 1)
            #expect(!text.contains("sender="), "no per-agency label")
            #expect(s[#"truc_verification_total{bucket="both"}"#] == 1)
            #expect(s[#"truc_queue_depth_deliveries{state="awaiting-pull"}"#] == 3)
            #expect(s[#"truc_queue_depth_deliveries{state="dead"}"#] == 0)
            #expect(s["truc_intake_duration_seconds_count"] == 3)
            #expect((s["truc_oldest_undelivered_seconds"] ?? -1) >= 0)
            // Request latency by matched route (ids do not appear as labels).
            #expect(s[#"truc_http_request_duration_seconds_count{route="/v1/messages",method="POST",status="202"}"#] == 1)
            #expect(s[#"truc_http_request_duration_seconds_count{route="/v1/messages",method="POST",status="422"}"#] == 1)
            #expect(s[#"truc_http_request_duration_seconds_count{route="/metrics",method="GET",status="403"}"#] == 1)
        }
    }
}
