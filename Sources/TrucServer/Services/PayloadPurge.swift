import TrucVocabulary
import EdXML
import Foundation
package import Logging
import ServiceLifecycle
package import TrucCore
import TrucCrypto
import TrucLog
package import TrucStore
import TrucZlib
#if canImport(Glibc)
import Glibc
#endif

/// Where purged payloads go and when (docs/operating.md "Retention and archives").
package struct RetentionSettings: Sendable {
    /// Payload retention after a message is final (default 90 days; overrides per agency and business type).
    package var policy = RetentionPolicy(defaultDays: 90)
    /// The directory archives are written to; without one nothing is purged (nothing goes that is not archived).
    package var archiveDirectory: String?
    package var intervalSeconds = 3600
    /// One archive file holds at most this many messages and about this many bytes (a larger message has a file of its own).
    package var archiveMaxMessages = 5_000
    package var archiveMaxBytes = 64 << 20
    /// Messages purged per store transaction (short transactions: intake goes on between them).
    package var purgeChunk = 200
    /// The share of one core's time the purge may take while it runs (it sleeps the rest): archiving is not urgent,
    /// intake is. 1 runs flat out (the purge benchmark).
    package var dutyCycle = 0.25
    /// The archive directory is on the data directory's file system (archives there free nothing): said at start.
    package var archiveOnDataVolume = false

    package init() {}
}

/// Archives, then purges, the payloads past their retention: each round (one node of a hub at a time) walks the
/// messages not yet purged in receipt order, gathers those final for longer than their retention into archive
/// files (`Archive`: evidence bundle and trace of each, a manifest chained to the previous archive, signed with
/// the log key), writes and syncs each file, records it (with its `archived` event), and only then purges the
/// payloads it holds, a few hundred per transaction. An archive that cannot be written stops the round (counted,
/// alerted: `TrucArchiveFailing`); intake never waits for it.
package struct PayloadPurgeService: Service {
    let store: any EvidenceLogStore & InboxStore & IntakeStore & OperationsStore & RetentionStore
    let settings: RetentionSettings
    let builder: @Sendable () async throws -> EvidenceBundleBuilder
    let origin: String
    let metrics: HubMetrics
    let logger: Logger
    /// The log's nodes the bundles' proofs read, kept across batches and rounds (they never change).
    let nodeCache = LogNodeCache()
    /// The clock (seconds since 1970); tests move it.
    package var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    package init(store: any EvidenceLogStore & InboxStore & IntakeStore & OperationsStore & RetentionStore, settings: RetentionSettings, builder: @escaping @Sendable () async throws -> EvidenceBundleBuilder,
                 origin: String, metrics: HubMetrics, logger: Logger) {
        self.store = store
        self.settings = settings
        self.builder = builder
        self.origin = origin
        self.metrics = metrics
        self.logger = logger
    }

    package func run() async throws {
        guard let directory = settings.archiveDirectory, settings.policy.shortestDays != nil else { return }
        logger.info("payload retention", metadata: ["policy": "\(settings.policy.summary)", "archives": "\(directory)"])
        if settings.archiveOnDataVolume {
            logger.warning("the archive directory is on the data directory's file system: purging frees no space there; mount another volume at --archive-dir",
                           metadata: ["archives": "\(directory)"])
        }
        let interval = Duration.seconds(settings.intervalSeconds)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if try await store.holdsSingleton("purge", seconds: leaseSeconds) {
                    try await round(directory: directory)
                }
            } catch is CancellationError {
                return
            } catch {
                metrics.archiveFailed()
                logger.error("payload purge stopped: nothing more is purged until the archive can be written", metadata: ["error": "\(error)"])
            }
            await pauseUnlessStopping(for: interval)
        }
    }

    var leaseSeconds: Int64 { Int64(settings.intervalSeconds) * 2 + 600 }

    /// One round: every message eligible now is archived and purged. Answers the messages purged.
    @discardableResult
    package func round(directory: String) async throws -> Int {
        guard let shortest = settings.policy.shortestDays else { return 0 }
        let now = self.now()
        let receivedBefore = now - Int64(shortest) * 86_400
        // What an interrupted round left half-written (this node holds the job: no other writes now).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(ArchiveFiles.temporaryPrefix) {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        var cursor: (Int64, String)?
        var batch: [PurgeCandidate] = [], batchBytes = 0, purged = 0
        var pacer = Pacer(dutyCycle: settings.dutyCycle)
        while !Task.isShuttingDownGracefully {
            let page = try await store.purgeCandidates(receivedBefore: receivedBefore, after: cursor, limit: 1_000)
            guard let last = page.last else { break }
            cursor = (last.receivedAt, last.id)
            for candidate in page {
                guard let finalAt = candidate.finalAt,
                      settings.policy.purgeable(parties: [candidate.sender] + candidate.recipients, businessType: candidate.businessType,
                                                finalAt: finalAt, now: now) else { continue }
                if !batch.isEmpty && (batch.count >= settings.archiveMaxMessages || batchBytes + candidate.size > settings.archiveMaxBytes) {
                    purged += try await archiveAndPurge(batch, directory: directory, pacer: &pacer)
                    batch = []
                    batchBytes = 0
                    // A long round keeps its claim (another node takes the job over only if this one stops).
                    guard try await store.holdsSingleton("purge", seconds: leaseSeconds) else { return purged }
                }
                batch.append(candidate)
                batchBytes += candidate.size
            }
        }
        // (Stopping: the batch gathered so far waits for the next start; nothing of it was written.)
        if !batch.isEmpty && !Task.isShuttingDownGracefully { purged += try await archiveAndPurge(batch, directory: directory, pacer: &pacer) }
        if purged > 0 { try await store.finishPurgeRound() }
        return purged
    }

    /// Writes one archive of `batch`, records it, then purges what it holds.
    func archiveAndPurge(_ batch: [PurgeCandidate], directory: String, pacer: inout Pacer) async throws -> Int {
        let last = try await store.lastArchive()
        let sequence = (last?.sequence ?? 0) + 1
        var builder = try await self.builder()
        builder.nodeCache = nodeCache
        var contents: [(entry: Archive.Entry, bundle: [UInt8], trace: [UInt8])] = []
        for candidate in batch {
            // A hub asked to stop does not finish building an archive (nothing is written until it is whole).
            guard !Task.isShuttingDownGracefully else { return 0 }
            try await pacer.pause()
            guard let message = try await store.message(candidate.id), message.purged == nil else { continue }
            let (bundle, pending) = try await builder.bundleAndPending(of: message)
            // Archived only once its bundle proves every event about it (the next checkpoint covers the last ones;
            // a later round takes it). With the log off (measurements only) there is nothing to wait for.
            if pending > 0 && EvidenceLogSwitch.isOn { continue }
            let trace = try await traceJSON(candidate.id)
            contents.append((Archive.Entry(id: message.id, kind: message.kind, sender: message.sender, recipients: candidate.recipients,
                                           businessType: message.businessType, receivedAt: message.receivedAt, finalAt: candidate.finalAt ?? 0,
                                           sha256: message.sha256, size: message.size, bundle: bundle, trace: trace), bundle, trace))
        }
        guard !contents.isEmpty else { return 0 }
        let created = now()
        let checkpoint = try await store.checkpoint(size: nil)
        let key = try Ed25519Key(seed: try await store.logSigningSeed())
        let manifest = Archive.Manifest(origin: origin, sequence: sequence, previous: last?.manifestSHA256, created: CivilCalendar.isoUTC(created),
                                        checkpoint: checkpoint?.note, messages: contents.map(\.entry))
        let written = try Archive.files(manifest: manifest, contents: contents, key: key)
        var zip = ZipWriter()
        for file in written.files { try zip.add(name: file.name, contents: file.bytes, deflate: file.deflate) }
        let bytes = zip.finish()
        let path = directory + "/" + written.fileName
        try await ArchiveFiles.write(bytes, to: path)
        do {
            try await store.recordArchive(ArchiveRecord(sequence: sequence, name: written.fileName, manifestSHA256: written.manifestSHA256,
                                                        messages: Int64(contents.count), bytes: Int64(bytes.count), createdAt: created))
        } catch {
            // Not recorded (another node recorded this sequence first): the file is not part of the chain.
            unlink(path)
            throw error
        }
        metrics.archived(bytes: bytes.count, at: created)
        var purged = 0
        let ids = contents.map(\.entry.id)
        for start in stride(from: 0, to: ids.count, by: settings.purgeChunk) {
            try await pacer.pause()
            let result = try await store.purgePayloads(Array(ids[start..<min(ids.count, start + settings.purgeChunk)]), archive: sequence)
            purged += result.purged.count
            metrics.purged(messages: result.purged.count, bytes: result.bytes)
        }
        logger.info("archived and purged payloads", metadata: ["archive": "\(written.fileName)", "messages": "\(contents.count)", "purged": "\(purged)",
                                                            "bytes": "\(bytes.count)"])
        return purged
    }

    /// The message's deliveries, receipts and answering statuses, as the trace endpoint shows them to the sender.
    func traceJSON(_ id: String) async throws -> [UInt8] {
        struct Trace: Encodable {
            let id: String
            let deliveries: [DeliveryTrace]
            let receipts: [ReceiptTrace]
            let statuses: [StatusTrace]
        }
        var statuses: [StatusTrace] = []
        if let message = try await store.message(id), message.kind == "edoc", let documentId = message.documentId {
            statuses = try await store.statuses(answering: documentId, of: id, sender: message.sender)
        }
        return Array(JSONText.encode(Trace(id: id, deliveries: try await store.trace(id), receipts: try await store.receipts(for: id),
                                           statuses: statuses)).utf8)
    }
}

/// Keeps a background job to a share of the time: after every 20 ms of work it sleeps what the duty cycle leaves.
struct Pacer {
    let dutyCycle: Double
    private var since = ContinuousClock.now

    init(dutyCycle: Double) { self.dutyCycle = min(1, max(0.01, dutyCycle)) }

    mutating func pause() async throws {
        guard dutyCycle < 1 else { return }
        let worked = ContinuousClock.now - since
        guard worked >= .milliseconds(20) else { return }
        try await Task.sleep(for: worked * ((1 - dutyCycle) / dutyCycle))
        since = .now
    }
}

/// Archive files on disk: written whole to a temporary name, synced, renamed, and the directory synced.
package enum ArchiveFiles {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// The name an archive has while it is written (never an archive's name: `truc archive verify` ignores it).
    static let temporaryPrefix = ".writing-"

    package static func write(_ bytes: [UInt8], to path: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global(qos: .utility).async {
                do {
                    try writeBlocking(bytes, to: path)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func writeBlocking(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = directory + "/" + temporaryPrefix + ((path as NSString).lastPathComponent)
        func fail(_ what: String) -> Failure { Failure(description: "cannot \(what) \(temporary): \(String(cString: strerror(errno)))") }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw fail("create") }
        var written = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                written += n
            }
            return true
        }
        guard ok, fsync(fd) == 0 else {
            let error = fail("write")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = fail("rename")
            unlink(temporary)
            throw error
        }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw Failure(description: "cannot open \(directory): \(String(cString: strerror(errno)))") }
        defer { close(dfd) }
        guard fsync(dfd) == 0 else { throw Failure(description: "cannot sync \(directory): \(String(cString: strerror(errno)))") }
    }
}
