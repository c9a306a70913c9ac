import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import TrucCore
import TrucCrypto
import TrucServer
import TrucStore
import TrucTestSupport
import AsyncAlgorithms
@testable import TrucSQLiteStore

/// A real hub on 127.0.0.1 (a free port), with its own data directory and the demo PKI, for one test.
struct LiveHub {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func demo(_ path: String) -> String { repo.appendingPathComponent("Certs/demo/\(path)").path }
    static func fixture(_ path: String) -> String { repo.appendingPathComponent("Tests/Fixtures/\(path)").path }

    let store: SQLiteStore
    let port: Int
    let client: HTTPClient
    let operatorToken = "operator-secret-for-tests"
    /// Every route of the HTTPS listener with its rule, and what the router holds.
    var routes: [RouteRule] = []
    var registered: [String] = []
    /// The plain-HTTP VXP listener's port (0 when the hub has none).
    var vxpPort = 0
    var base: String { "https://127.0.0.1:\(port)" }
    var vxpEndpoint: String { "http://127.0.0.1:\(vxpPort)/XrdAdapter/adapter" }

    /// Runs `body` against a fresh hub with the demo agencies plus H14 and G17 (the fixtures' recipients).
    static func run(maxBodyBytes: Int = 64 << 20, clientCertificate: String? = nil, hubCode: String = "000.00.00.W00", port: Int = 0,
                    routing: RoutingTable = RoutingTable(), retry: RetryPolicy = RetryPolicy(baseDelay: 0.2, maxDelay: 1, maxAttempts: 3),
                    agencies: [(String, String, String?)]? = nil, relays: [String] = [],
                    vxp: VXPSettings = VXPSettings(), systems: [(id: String, secret: String, agencies: [String])] = [],
                    configure: (inout HubConfiguration) -> Void = { _ in }, dataDirectory: String? = nil,
                    _ body: (LiveHub) async throws -> Void) async throws {
        // A given data directory is the caller's (a hub restarted on the same store); otherwise a fresh one.
        let data = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("truc-hub-\(UUID().uuidString)").path
        defer { if dataDirectory == nil { try? FileManager.default.removeItem(atPath: data) } }
        let store = try SQLiteStore(dataDirectory: data)
        let registered = agencies ?? DemoDirectory.agencies.map { ($0.code, $0.name, $0.identifier) }
        for (code, name, identifier) in registered {
            try await store.upsert(try Agency(code: code, name: name, certificateIdentifier: identifier).validated())
        }
        // Peer hubs authenticate with the demo hub certificate, pinned by fingerprint.
        let hubCertificate = try Certificate.fromPEM([UInt8](try Data(contentsOf: URL(fileURLWithPath: demo("hub/server.pem"))))).first!
        for relay in relays {
            try await store.upsert(Agency(code: relay, name: "Peer hub \(relay)", certificateSHA256: Digest.sha256(hubCertificate.der).hexString, relay: true))
        }
        for system in systems {
            _ = try await store.addSystem(id: system.id, name: system.id, agencies: system.agencies, secret: system.secret, directoryChanges: true)
        }
        var configuration = HubConfiguration(hubCode: hubCode, host: "127.0.0.1", port: port, certificatePath: demo("hub/server.chain.pem"),
                                             privateKeyPath: demo("hub/server.key"), clientCAPath: demo("hub/client-ca.pem"),
                                             trustDirectory: demo("trust"), dataDirectory: data, maxBodyBytes: maxBodyBytes,
                                             operatorToken: "operator-secret-for-tests", routing: routing, retryPolicy: retry,
                                             deliveryPollSeconds: 0.05)
        configuration.vxp = vxp
        // Every peer, endpoint and responder of these tests is on this machine.
        configuration.outbound = OutboundPolicy(allowed: [AddressRange("127.0.0.0/8")!, AddressRange("::1")!])
        configure(&configuration)
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let (plainStream, plainContinuation) = AsyncStream.makeStream(of: Int.self)
        let logger = Logger(label: "truc-test")
        let hub = try buildHub(configuration: configuration, store: store, logger: logger, onServerRunning: { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
        }, onPlainServerRunning: { channel in
            plainContinuation.yield(channel.localAddress?.port ?? 0)
        })
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(demo("trust/root-ca.pem")))
        if let clientCertificate {
            // "hub": the demo hub certificate (a peer hub); otherwise an agency's organisation certificate.
            let (cert, key) = clientCertificate == "hub" ? (demo("hub/server.chain.pem"), demo("hub/server.key"))
                : (demo("agencies/\(clientCertificate)/organisation.pem"), demo("agencies/\(clientCertificate)/organisation.key"))
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let group = ServiceGroup(configuration: .init(services: hub.services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            // The streams end when the hub stops, so a hub that cannot start (its port taken) ends the wait for
            // its port instead of leaving it forever: the test then fails with the hub's error.
            tasks.addTask {
                defer { continuation.finish(); plainContinuation.finish() }
                try await group.run()
            }
            var port = 0, plainPort = 0
            for await p in stream { port = p; break }
            if vxp.plainHost != nil { for await p in plainStream { plainPort = p; break } }
            guard port != 0, vxp.plainHost == nil || plainPort != 0 else {
                try? await client.shutdown()
                try await tasks.waitForAll()
                throw CancellationError()
            }
            do {
                try await body(LiveHub(store: store, port: port, client: client, routes: hub.routes, registered: hub.registered, vxpPort: plainPort))
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    struct Reply {
        let status: Int
        let body: [UInt8]
        var headers: [(String, String)] = []
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/xml")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 128 << 20)
        return Reply(status: Int(response.status.code), body: Array(buffer: collected), headers: response.headers.map { ($0.name, $0.value) })
    }

    /// POSTs `body` in chunks with no Content-Length (chunked transfer encoding).
    func postChunked(_ path: String, token: String, body: [UInt8], chunk: Int = 16_384) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/xml")
        let parts = stride(from: 0, to: body.count, by: chunk).map { ByteBuffer(bytes: body[$0..<min($0 + chunk, body.count)]) }
        request.body = .stream(parts.async, length: .unknown)
        let response = try await client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 128 << 20)
        return Reply(status: Int(response.status.code), body: Array(buffer: collected))
    }

    func post(_ fixture: String, token: String?) async throws -> Reply {
        try await request(.POST, "/v1/messages", token: token, body: [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture(fixture)))))
    }

    func token(_ code: String) async throws -> String { try await store.issueToken(for: code) }

    /// Polls `condition` until it holds (or the time is up): deliveries happen in the background. The limit is
    /// generous because a full parallel run on 2 cores starves a hub's tasks for many seconds (CI saw 2 attempts
    /// take over 20 s); a condition that holds returns at once.
    func eventually(_ seconds: Double = 60, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func deliveryStates(_ id: String, token: String) async throws -> [String: String] {
        let trace = try await request(.GET, "/v1/messages/\(id)/trace", token: token).json
        var states: [String: String] = [:]
        for d in (trace?["deliveries"] as? [[String: Any]]) ?? [] { states[d["recipient"] as? String ?? ""] = d["state"] as? String }
        return states
    }
}
