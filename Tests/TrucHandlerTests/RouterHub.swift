import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import NIOCore
import TrucCore
import TrucCrypto
import TrucServer
import TrucStore
import TrucMemoryStore
import TrucTestSupport

/// The fast tier's hub: the same `buildHub` as `truc serve`, its router driven in process by HummingbirdTesting
/// (no TLS, no socket, no process); the store in memory (`InMemoryStore`); the demo PKI. Its services (delivery,
/// the log sequencer, …) do not run: what is tested here is routing, access rules, handler logic and error mapping.
struct RouterHub: Sendable {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func demo(_ path: String) -> String { repo.appendingPathComponent("Certs/demo/\(path)").path }
    static func fixture(_ path: String) -> String { repo.appendingPathComponent("Tests/Fixtures/\(path)").path }
    static let operatorToken = "operator-secret-for-tests"

    let store: InMemoryStore
    /// Every route of the HTTPS listener with its rule, and what the router itself holds.
    let routes: [RouteRule]
    let registered: [String]
    let client: any TestClientProtocol

    /// A hub with the demo agencies (G22, H41 and its department, H14, G17), for `body`.
    static func run(maxBodyBytes: Int = 64 << 20, hubCode: String = "000.00.00.W00", routing: RoutingTable = RoutingTable(),
                    agencies: [(String, String, String?)]? = nil, relays: [String] = [],
                    configure: (inout HubConfiguration) -> Void = { _ in },
                    _ body: @escaping @Sendable (RouterHub) async throws -> Void) async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-router-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let store = InMemoryStore()
        let directory = agencies ?? DemoDirectory.agencies.map { ($0.code, $0.name, $0.identifier) }
        for (code, name, identifier) in directory {
            try await store.upsert(try Agency(code: code, name: name, certificateIdentifier: identifier).validated())
        }
        let hubCertificate = try Certificate.fromPEM([UInt8](try Data(contentsOf: URL(fileURLWithPath: demo("hub/server.pem"))))).first!
        for relay in relays {
            try await store.upsert(Agency(code: relay, name: "Peer hub \(relay)", certificateSHA256: Digest.sha256(hubCertificate.der).hexString, relay: true))
        }
        var configuration = HubConfiguration(hubCode: hubCode, host: "127.0.0.1", port: 0, certificatePath: demo("hub/server.chain.pem"),
                                             privateKeyPath: demo("hub/server.key"), clientCAPath: demo("hub/client-ca.pem"),
                                             trustDirectory: demo("trust"), dataDirectory: data, maxBodyBytes: maxBodyBytes,
                                             operatorToken: operatorToken, routing: routing)
        configuration.reloadOnSIGHUP = false
        configure(&configuration)
        var logger = Logger(label: "truc-router-test")
        logger.logLevel = .critical
        let hub = try buildHub(configuration: configuration, store: store, logger: logger)
        let app = Application(router: hub.router, logger: logger)
        let (routes, registered) = (hub.routes, hub.registered)
        do {
            try await app.test(.router) { client in
                try await body(RouterHub(store: store, routes: routes, registered: registered, client: client))
            }
        } catch {
            await hub.close()
            throw error
        }
        await hub.close()
    }

    struct Reply {
        let status: Int
        let body: [UInt8]
        let headers: HTTPFields
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
        var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
        var text: String { String(decoding: body.prefix(300), as: UTF8.self) }
    }

    func request(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: [UInt8]? = nil,
                 headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        if body != nil, fields[.contentType] == nil { fields[.contentType] = "application/xml" }
        return try await client.execute(uri: path, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) }) { response in
            Reply(status: Int(response.status.code), body: Array(buffer: response.body), headers: response.headers)
        }
    }

    func post(_ fixture: String, token: String?) async throws -> Reply {
        try await request(.post, "/v1/messages", token: token, body: [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture(fixture)))))
    }

    func token(_ code: String) async throws -> String { try await store.issueToken(for: code) }

    /// Each recipient's delivery state, from the message's trace.
    func deliveryStates(_ id: String, token: String) async throws -> [String: String] {
        let trace = try await request(.get, "/v1/messages/\(id)/trace", token: token).json
        var states: [String: String] = [:]
        for d in (trace?["deliveries"] as? [[String: Any]]) ?? [] { states[d["recipient"] as? String ?? ""] = d["state"] as? String }
        return states
    }

    /// Every route of a hub's HTTPS listener with its rule.
    static func routeRules() async throws -> [RouteRule] {
        let found = Mutex<[RouteRule]>([])
        try await run { hub in found.withLock { $0 = hub.routes } }
        return found.withLock { $0 }
    }
}
