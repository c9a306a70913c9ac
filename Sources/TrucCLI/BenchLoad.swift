import ArgumentParser
import AsyncHTTPClient
import EdXML
import Foundation
import NIOCore
import NIOSSL
import TrucCrypto
import TrucSignatures
import NIOHTTP1

/// `truc bench load`: documents per second a running hub accepts, and accept-latency percentiles, with a
/// fixed number of concurrent senders (token authentication over keep-alive HTTPS connections); the
/// verification-only rate of the same document, measured in the same run, is printed beside it as the bound.
/// Each request carries a distinct DocumentId so that none is a duplicate.
struct BenchLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load a running hub with a signed document; print rate and latencies.")

    @Argument(help: "The message to send (its DocumentId is varied per request), or a folder of distinct signed messages sent once each.") var file: String
    @Option(help: "The hub's base URL.") var hub: String = "https://127.0.0.1:8443"
    @Option(help: "The sender's API token.") var token: String
    @Option(help: "Concurrent requests.") var concurrency: Int = 8
    @Option(help: "Seconds to run.") var seconds: Double = 10
    @Option(help: "Send at this many requests/s instead of as fast as possible (for latency at a given load).") var rate: Double?
    @Option(help: "With a folder: skip this many messages (sent by an earlier run).") var skip: Int = 0

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        // A folder: distinct pre-signed messages (envelope signatures cover the DocumentId, so it cannot be varied).
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: file, isDirectory: &isFolder)
        let prepared: [String] = isFolder.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: file).sorted().dropFirst(skip).map { String(decoding: try FileInput.load(file + "/" + $0, maxBytes: 1 << 30), as: UTF8.self) }
            : []
        let template: String
        if let first = prepared.first {
            template = first
        } else {
            template = String(decoding: try FileInput.load(file, maxBytes: 1 << 30), as: UTF8.self)
        }
        let parsed = try EdXMLReader.read(Array(template.utf8))
        guard let documentId = parsed.message.documentId else { throw ValidationError("the message has no DocumentId to vary") }
        let queue = Pool(prepared)

        // The bound: verification alone of the same document, on every core at once (as `truc bench bound`).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let bound = BenchBound.measure(Array(template.utf8), threads: cores, seconds: 3,
                                       trust: try TrustStore(directory: try TrustDirectory.resolve(nil))).reduce(0, +)

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(URL(fileURLWithPath: try TrucDemo.trust()).appendingPathComponent("root-ca.pem").path))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let run = UUID().uuidString.prefix(8)
        let counter = Counter()
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let interval = rate.map { Duration.milliseconds(Int(1000 * Double(concurrency) / $0)) }
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var mine: [Double] = []
                    var n = 0
                    while ContinuousClock.now < deadline {
                        let body: String
                        if prepared.isEmpty {
                            body = template.replacingOccurrences(of: documentId, with: "\(documentId)-\(run)-\(worker)-\(n)")
                        } else if let next = await queue.next() {
                            body = next
                        } else {
                            break
                        }
                        n += 1
                        var request = HTTPClientRequest(url: hub + "/v1/messages")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/xml")
                        request.body = .bytes(ByteBuffer(string: body))
                        let began = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        let elapsed = ContinuousClock.now - began
                        if response.status.code == 202 {
                            mine.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                        } else {
                            await counter.fail()
                        }
                        if let interval { try await Task.sleep(until: began + interval) }
                    }
                    return mine
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        try await client.shutdown()
        let elapsed = ContinuousClock.now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let sorted = latencies.sorted()
        func p(_ q: Double) -> String { sorted.isEmpty ? "-" : String(format: "%.1f ms", sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) }
        let failures = await counter.failures
        print("""
            document        \(file) (\(template.utf8.count.grouped) bytes)
            accepted        \(sorted.count) in \(String(format: "%.1f", secs)) s = \(String(format: "%.1f", Double(sorted.count) / secs)) documents/s (\(concurrency) concurrent senders\(rate.map { ", offered \($0)/s" } ?? "")), \(failures) refused
            latency         p50 \(p(0.5)), p90 \(p(0.9)), p99 \(p(0.99)), max \(p(1.0))
            bound           \(String(format: "%.1f", bound)) verifications/s of the same document, alone on \(cores) threads at once (\(String(format: "%.0f", 100 * Double(sorted.count) / secs / bound)) % of it)
            """)
    }
}

/// Hands out each prepared message once.
actor Pool {
    private var items: [String]
    init(_ items: [String]) { self.items = items.reversed() }
    func next() -> String? { items.popLast() }
}

actor Counter {
    var failures = 0
    func fail() { failures += 1 }
}

enum TrucDemo {
    static func trust() throws -> String { try TrustDirectory.resolve(nil) }
}
