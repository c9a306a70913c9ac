import Foundation
import Testing
import TrucCore
import TrucStore
import NIOHTTP1
import TrucServer
import TrucTestSupport
@testable import TrucSQLiteStore

/// Pushes never wander: an endpoint that answers with a redirect gets no second request, and the
/// redirect's target gets none at all.
@Suite("Pushes that never wander", .timeLimit(.minutes(30)))
struct PushBoundaryTests {
    /// `Tests/Drivers/redirecting_endpoint.py`: an HTTPS endpoint answering `status` with a redirect to a plain
    /// listener; `lines()` is what it recorded (OUTER for its own requests, HIT for the redirect target's).
    final class Endpoint {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("truc-endpoint-\(UUID().uuidString).txt").path
        let process = SpawnedProcess()
        private(set) var port = 0

        init(status: Int) async throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", LiveHub.repo.appendingPathComponent("Tests/Drivers/redirecting_endpoint.py").path,
                                 "--certs", LiveHub.repo.appendingPathComponent("Certs/demo/hub").path, "--status", "\(status)",
                                 "--seconds", "900", "--out", out]
            try await Program.launch(process)
            for _ in 0..<600 where port == 0 {
                if let ports = lines().first(where: { $0.hasPrefix("PORTS ") }) { port = Int(ports.split(separator: " ")[1]) ?? 0 }
                try await Task.sleep(for: .milliseconds(50))
            }
            if port == 0 { stop() }
            try #require(port > 0, "the endpoint did not start")
        }

        func lines() -> [String] { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

        func stop() {
            process.kill()
            try? FileManager.default.removeItem(atPath: out)
        }
    }

    @Test("an agency's push endpoint answering 307 or 302: the delivery is dead with the reason, the redirect target is never contacted",
          arguments: [307, 302])
    func redirectRefused(status: Int) async throws {
        let endpoint = try await Endpoint(status: status)
        defer { endpoint.stop() }
        let port = endpoint.port
        try await LiveHub.run(retry: RetryPolicy(baseDelay: 0.05, maxDelay: 0.1, maxAttempts: 3)) { hub in
            try await hub.store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng", pushURL: "https://127.0.0.1:\(port)/inbox"))
            let g22 = try await hub.token("000.00.00.G22")
            let id = try #require(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).json?["id"] as? String)
            #expect(try await hub.eventually { try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "dead" })
            let trace = try await hub.request(.GET, "/v1/messages/\(id)/trace", token: g22).json
            let h14 = (trace?["deliveries"] as? [[String: Any]])?.first { $0["recipient"] as? String == "000.00.00.H14" }
            #expect((h14?["reason"] as? String)?.contains("redirect") == true, "\(String(describing: h14))")
            #expect(h14?["attempts"] as? Int == 1, "a redirect is permanent: no retry")
        }
        #expect(!endpoint.lines().contains { $0.hasPrefix("HIT ") }, "the redirect target was contacted: \(endpoint.lines())")
    }

    @Test("with no range allowed, an endpoint on loopback, named localhost, or the metadata address is never contacted: dead, target-denied")
    func deniedTargets() async throws {
        let endpoint = try await Endpoint(status: 307)
        defer { endpoint.stop() }
        let port = endpoint.port
        let agencies: [(String, String, String?)] = [("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"), ("000.00.00.H41", "UBND Tỉnh Nghệ An", nil),
                                                     ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil), ("000.00.00.G17", "Bộ TTTT", nil)]
        try await LiveHub.run(retry: RetryPolicy(baseDelay: 0.05, maxDelay: 0.1, maxAttempts: 3), agencies: agencies,
                              configure: { $0.outbound = OutboundPolicy() }) { hub in
            try await hub.store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng", pushURL: "https://127.0.0.1:\(port)/inbox"))
            try await hub.store.upsert(Agency(code: "000.00.00.H41", name: "UBND Tỉnh Nghệ An", pushURL: "https://localhost:\(port)/inbox"))
            try await hub.store.upsert(Agency(code: "000.00.00.G17", name: "Bộ TTTT", pushURL: "http://169.254.169.254/latest/meta-data/"))
            let g22 = try await hub.token("000.00.00.G22")
            let id = try #require(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).json?["id"] as? String)
            for code in ["000.00.00.H14", "000.00.00.H41", "000.00.00.G17"] {
                #expect(try await hub.eventually { try await hub.deliveryStates(id, token: g22)[code] == "dead" }, "\(code)")
            }
            let trace = try await hub.request(.GET, "/v1/messages/\(id)/trace", token: g22).json
            for delivery in (trace?["deliveries"] as? [[String: Any]]) ?? [] {
                #expect((delivery["reason"] as? String)?.hasPrefix("target-denied") == true && delivery["attempts"] as? Int == 1, "\(delivery)")
            }
        }
        #expect(!endpoint.lines().contains { $0.hasPrefix("OUTER ") || $0.hasPrefix("HIT ") }, "the endpoint was contacted: \(endpoint.lines())")
    }
}
