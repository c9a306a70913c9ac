import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import NIOHTTP1
import TrucCore

/// How the agency client commands reach a hub.
struct HubConnection: ParsableArguments {
    @Option(name: .customLong("hub"), help: "The hub's base URL (env TRUC_HUB_URL).") var hub: String?
    @Option(help: "API token (env TRUC_TOKEN).") var token: String?
    @Option(help: "PEM client certificate (chain) instead of a token.") var cert: String?
    @Option(help: "PEM private key of --cert.") var key: String?
    @Option(name: .customLong("ca"), help: "PEM CA bundle to trust for the hub (default: ./data/pki/trust/root-ca.pem or $TRUC_DATA_DIR's, else the demo root CA).")
    var ca: String?

    var baseURL: String { hub ?? ProcessInfo.processInfo.environment["TRUC_HUB_URL"] ?? "https://127.0.0.1:8443" }

    func client() throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        let caPath = try ca ?? Self.defaultCA()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        if let cert {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            guard let key else { throw ValidationError("--cert needs --key") }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: .seconds(5)))
        // A hub that is not listening is reported at once (scripts wait and retry themselves).
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The local hub's own CA (`$TRUC_DATA_DIR` or `./data`, `pki/trust/root-ca.pem`), else the demo root with a warning.
    static func defaultCA() throws -> String {
        let data = ProcessInfo.processInfo.environment["TRUC_DATA_DIR"] ?? "./data"
        if FileManager.default.fileExists(atPath: data + "/pki/trust/root-ca.pem") { return data + "/pki/trust/root-ca.pem" }
        let demo = try TrustDirectory.demo() + "/root-ca.pem"
        FileHandle.standardError.write(Data("truc: warning: trusting the demo PKI's root CA (\(demo)) for the hub's certificate; pass --ca\n".utf8))
        return demo
    }

    /// Performs one request; prints the body; exits 1 on an HTTP error (the hub's JSON error on stdout).
    func call(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json",
              output: String? = nil) async throws {
        let client = try client()
        do {
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = .init(rawValue: method)
            if let token = token ?? ProcessInfo.processInfo.environment["TRUC_TOKEN"], cert == nil {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            if let body {
                request.headers.add(name: "Content-Type", value: contentType)
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response = try await client.execute(request, timeout: .seconds(300))
            let collected = try await response.body.collect(upTo: 256 << 20)
            try await client.shutdown()
            let bytes = Array(buffer: collected)
            if let output, response.status.code < 300 {
                try Data(bytes).write(to: URL(fileURLWithPath: output))
                print("wrote \(output) (\(bytes.count) bytes)")
            } else {
                print(String(decoding: bytes, as: UTF8.self))
            }
            if response.status.code >= 300 { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try? await client.shutdown()
            throw CommandFailure(.hubUnreachable, Self.explain(error, baseURL)).report()
        }
    }

    /// What went wrong reaching the hub, in words a person can act on.
    static func explain(_ error: any Error, _ url: String) -> String {
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("errno: 111") {
            return "nothing listens at \(url): is truc serve running there? (check --hub or TRUC_HUB_URL)"
        }
        if text.contains("certificate") || text.contains("handshake") || text.contains("SSL") || text.contains("TLS") {
            return "the TLS connection to \(url) failed (\(text)): give the hub's CA with --ca (a hub that made its own PKI: DATA/pki/trust/root-ca.pem)"
        }
        if text.contains("Timeout") || text.contains("timeout") {
            return "\(url) did not answer in time: check the address, the network and the hub's load"
        }
        if text.contains("name resolution") || text.contains("getaddrinfo") || text.contains("NXDOMAIN") {
            return "the host of \(url) is not known: check --hub or TRUC_HUB_URL"
        }
        return "cannot reach the hub at \(url): \(text)"
    }
}

/// `truc send FILE`: post a message to a hub as an agency.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "Send an edXML message to a hub (agency client).")
    @Argument(help: "The edXML file.") var file: String
    @OptionGroup var connection: HubConnection

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        let bytes: [UInt8]
        do {
            bytes = try FileInput.load(file, maxBytes: 1 << 30)
        } catch {
            throw CommandFailure(reading: error.code, error.message).report()
        }
        try await connection.call("POST", "/v1/messages", body: bytes, contentType: "application/xml")
    }
}

/// `truc inbox`: what waits for the agency.
struct InboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inbox", abstract: "List what waits for the agency at a hub.")
    @OptionGroup var connection: HubConnection
    @Option(help: "edoc or status.") var kind: String?
    @Option(help: "Cursor: list after this item.") var after: Int?
    @Option(help: "Page size.") var limit: Int?

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        let query = [kind.map { "kind=\($0)" }, after.map { "after=\($0)" }, limit.map { "limit=\($0)" }].compactMap { $0 }
        try await connection.call("GET", "/v1/inbox" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
    }
}

/// `truc fetch ID`: the exact bytes of a message.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Download a message's exact bytes from a hub.")
    @Argument var id: String
    @OptionGroup var connection: HubConnection
    @Option(name: .shortAndLong, help: "Output file (default: ID.edxml).") var output: String?

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        try await connection.call("GET", "/v1/messages/\(id)", output: output ?? "\(id).edxml")
    }
}

/// `truc ack ID`: acknowledge a pulled message.
struct AckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge a message taken from the inbox.")
    @Argument var id: String
    @OptionGroup var connection: HubConnection
    @Option(help: "Report that the message could not be processed, with this reason.") var fail: String?

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        let body: [String: String] = fail.map { ["outcome": "fail", "reason": $0] } ?? ["outcome": "done"]
        try await connection.call("POST", "/v1/inbox/\(id)/ack", body: [UInt8](try JSONSerialization.data(withJSONObject: body)))
    }
}
