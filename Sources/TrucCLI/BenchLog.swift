import ArgumentParser
import Foundation
import EdXML
import TrucCore
import TrucCrypto
import TrucLog
import TrucServer
import TrucSignatures
import TrucStore
import TrucVocabulary
import TrucSQLiteStore

/// The evidence log at scale: a fresh store holds one document (the demo's signed PDF, accepted as the intake
/// stores it) and then `--events` events in all (operator events of a typical size), sequenced and signed; then
/// the time to build the document's inclusion proof and its whole evidence bundle, and to check the bundle
/// offline, each the median of `--repeat` runs; and the log's storage per event.
struct BenchLog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "Time inclusion proofs and evidence bundles in a log of N events.")
    @Option(help: "A fresh data directory (created).") var data: String
    @Option(help: "Events in the log.") var events: Int = 1_000_000
    @Option(name: .customLong("repeat"), help: "Runs of each timing (the median is printed).") var runs: Int = 20

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: data + "/truc.sqlite") else {
            throw CommandFailure(.invalidOption, "\(data) already holds a store: give a fresh directory").report()
        }
        let store = try SQLiteStore(dataDirectory: data)
        let demo = try DemoPKI.locate()
        let document = [UInt8](try Data(contentsOf: URL(fileURLWithPath: demo + "/../../Tests/Fixtures/signatures/pdf-organisation.edxml")))
        let id = MessageID.make()
        var message = IncomingMessage(id: id, kind: "edoc", sender: "000.00.00.G22", documentId: "000.00.00.G22,2026/12/07,1/BENCH",
                                      idempotencyKey: "bench-log|\(id)", receivedAt: Int64(Date().timeIntervalSince1970), sha256: Digest.sha256(document).hexString,
                                      recipients: ["000.00.00.H41"], verdictJSON: "{}", bucket: "organisation", businessType: 0, statusCode: nil,
                                      answersDocumentId: nil, answerJSON: "{\"id\":\"\(id)\"}")
        message.logEntry = LogEvent(kind: "accepted", time: CivilCalendar.isoUTC(message.receivedAt), [
            "message": .string(id), "messageKind": .string("edoc"), "sender": .string(message.sender), "recipients": .strings(message.recipients),
            "documentId": .string(message.documentId ?? ""), "sha256": .string(message.sha256), "verdict": .string(Digest.sha256(Array("{}".utf8)).hexString),
        ]).canonical
        _ = try await store.accept(message, payload: document)
        // The rest: operator events of a typical size, written and sequenced in batches.
        let filling = ContinuousClock.now
        var written = 1
        while written < events {
            let batch = min(20_000, events - written)
            try await store.appendLogEvents((0..<batch).map { n in
                (LogEvent.operatorAction("token-issued", time: CivilCalendar.isoUTC(1_796_600_000 + Int64(written + n)), [
                    "agency": .string("000.00.00.H41"), "role": .string("agency"),
                    "credential": .string(Digest.sha256(Array("bench \(written + n)".utf8)).hexString),
                ]).canonical, nil)
            })
            written += batch
            var size = try await store.logSize()
            while size < Int64(written) { size = try await store.sequenceLog(limit: 20_000) }
            if written % 1_000_000 < 20_000 { print("filled          \(written) events") }
        }
        let fill = ContinuousClock.now - filling
        let key = try Ed25519Key(seed: try await store.logSigningSeed())
        let origin = "truc-log/000.00.00.W00"
        let size = try await store.logSize()
        let root = try await LogProofs.root(of: store, size: size)
        try await store.saveCheckpoint(StoredCheckpoint(size: size, root: root, note: try Checkpoint(origin: origin, size: size, root: root).signed(name: origin, key: key),
                                                        at: Int64(Date().timeIntervalSince1970)))
        print("log             \(size) events, filled and sequenced in \(String(format: "%.1f", Self.seconds(fill))) s (\(String(format: "%.0f", Double(size) / Self.seconds(fill))) events/s)")

        let index = try require(try await store.logIndex(ofMessage: id))
        let proofTime = try await Self.median(runs) {
            _ = try await LogProofs.inclusion(of: store, index: index, size: size)
        }
        let signer = try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: demo + "/hub/server.key"))),
                                       certificateChainPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: demo + "/hub/server.chain.pem"))))
        let builder = EvidenceBundleBuilder(store: store, reports: ValidationReports(signer: signer, hubCode: "000.00.00.W00"), origin: origin,
                                            verifierKey: Checkpoint.verifierKey(name: origin, publicKey: key.publicKey))
        let stored = try require(try await store.message(id))
        var bundle: [UInt8] = []
        let bundleTime = try await Self.median(runs) { bundle = try await builder.bundle(of: stored) }
        let files = try EvidenceCommand.Verify.files(of: bundle)
        var findings = EvidenceBundle.Findings()
        let checkTime = try await Self.median(runs) {
            findings = EvidenceBundle.check(files: files, pinnedKey: nil, witnessKeys: []) { _, _ in (nil, nil, nil) }
        }
        print("inclusion proof \(String(format: "%.2f", proofTime * 1000)) ms (leaf \(index) of \(size), \(Int(ceil(log2(Double(size))))) hashes)")
        print("bundle          \(String(format: "%.2f", bundleTime * 1000)) ms to build (\(bundle.count) bytes); \(String(format: "%.2f", checkTime * 1000)) ms to check offline"
              + (findings.problems.isEmpty ? "" : " — PROBLEMS: \(findings.problems)"))
        let tables = try StoreExport(dataDirectory: data).tableBytes(prefix: "log_")
        let total = tables.values.reduce(0, +)
        print("storage         \(total / Int64(max(1, size))) bytes per event (" + tables.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value / Int64(max(1, size)))" }.joined(separator: ", ") + ")")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ runs: Int, _ body: () async throws -> Void) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = ContinuousClock.now
            try await body()
            times.append(seconds(ContinuousClock.now - start))
        }
        return times.sorted()[times.count / 2]
    }
}

private func `require`<T>(_ value: T?) throws -> T {
    guard let value else { throw CommandFailure(.benchFailed, "the store lost what it was given") }
    return value
}
