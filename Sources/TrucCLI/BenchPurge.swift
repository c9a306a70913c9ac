import ArgumentParser
import Foundation
import Logging
import TrucCore
import TrucCrypto
import TrucLog
import TrucServer
import TrucSignatures
import TrucStore
import TrucSQLiteStore

/// Times one archive-and-purge round on a filled store (`truc bench messages-fill --all-acknowledged`): the log
/// is sequenced and signed first (as the hub's sequencer does), then every final document is archived (evidence
/// bundle and trace each, chained signed archive files) and its payload purged, with the hub's own code
/// (`PayloadPurgeService.round`). Prints messages per second, the archive's size and the store's size before and after.
struct BenchPurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Time archiving and purging every final message of a filled store.")
    @Option(help: "A data directory filled by truc bench messages-fill.") var data: String
    @Option(name: .customLong("archive-dir"), help: "An empty directory for the archives.") var archiveDir: String

    func run() async throws {
        let store = try SQLiteStore(dataDirectory: data)
        let demo = try DemoPKI.locate()
        let origin = "truc-log/000.00.00.W00"
        let key = try Ed25519Key(seed: try await store.logSigningSeed())
        var size = try await store.sequenceLog(limit: 20_000), before: Int64 = -1
        while size != before {
            before = size
            size = try await store.sequenceLog(limit: 20_000)
        }
        if size > 0 {
            let root = try await LogProofs.root(of: store, size: size)
            try await store.saveCheckpoint(StoredCheckpoint(size: size, root: root, note: try Checkpoint(origin: origin, size: size, root: root).signed(name: origin, key: key),
                                                            at: Int64(Date().timeIntervalSince1970)))
        }
        let signer = try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: demo + "/hub/server.key"))),
                                       certificateChainPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: demo + "/hub/server.chain.pem"))))
        let reports = ValidationReports(signer: signer, hubCode: "000.00.00.W00")
        let verifierKey = Checkpoint.verifierKey(name: origin, publicKey: key.publicKey)
        var settings = RetentionSettings()
        settings.policy = RetentionPolicy(defaultDays: 0)
        settings.archiveDirectory = archiveDir
        settings.dutyCycle = 1 // flat out: the figure is what one round can do
        var logger = Logger(label: "truc.bench")
        logger.logLevel = .warning
        let stored = try await store.storedVolume(receivedSince: 0)
        let diskBefore = store.storeDisk().usedBytes
        var service = PayloadPurgeService(store: store, settings: settings, builder: {
            EvidenceBundleBuilder(store: store, reports: reports, origin: origin, verifierKey: verifierKey)
        }, origin: origin, metrics: HubMetrics(), logger: logger)
        let later = Int64(Date().timeIntervalSince1970) + 1
        service.now = { later }
        let start = ContinuousClock.now
        let purged = try await service.round(directory: archiveDir)
        let seconds = BenchLog.seconds(ContinuousClock.now - start)
        let totals = try await store.purgeTotals()
        let diskAfter = store.storeDisk().usedBytes
        let messages = stored.filter { $0.kind != "receipt" }.reduce(Int64(0)) { $0 + $1.messages }
        print("store           \(messages) documents and statuses, \(stored.filter { $0.kind == "receipt" }.reduce(Int64(0)) { $0 + $1.messages }) receipts, log of \(size) events")
        print("purged          \(purged) payloads (\(totals.bytes / 1_048_576) MiB) in \(String(format: "%.1f", seconds)) s: \(String(format: "%.0f", Double(purged) / seconds)) messages/s")
        print("archives        \(totals.archives) files, \(totals.archivedBytes / 1_048_576) MiB (\(totals.archivedBytes / max(1, totals.messages)) bytes per message archived)")
        print("store on disk   \(diskBefore / 1_048_576) MiB before, \(diskAfter / 1_048_576) MiB after")
    }
}
