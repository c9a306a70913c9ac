import ArgumentParser
import Foundation
import TrucCrypto
import TrucLog
import TrucStore
import TrucCore

/// `truc log …`: the evidence log of a hub's store.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "The evidence log: check it against the store.",
                                                    subcommands: [Verify.self, Monitor.self])

    /// `truc log verify`: recomputes the whole tree from the stored events and checks every stored node, then
    /// that the store agrees with its events: each accepted message (the exact bytes' SHA-256, sender, recipients,
    /// verdict), each of its deliveries (delivered, acknowledged, dead as the last event says; not final when none
    /// does), each refusal within the refusal retention. Names the first leaf that disagrees. Exit 0 when all agree, 1 otherwise, 2/3 when the store cannot be read.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute the evidence log from the stored events and check it against the store.")
        @OptionGroup var store: AgenciesCommand.StoreOption
        @Flag(help: "Print JSON.") var json = false
        @Option(help: "Refusals older than this many days were pruned by the hub (truc serve --refusal-retention-days): their events are not checked.")
        var refusalRetentionDays: Int64 = 90

        struct Report: Encodable {
            var events = 0
            var accepted = 0
            var refused = 0
            /// Events by kind (operator events by action).
            var kinds: [String: Int] = [:]
            var unsequenced: Int64 = 0
            var root: String = ""
            /// The size of the latest signed checkpoint, when there is one, and how many were checked.
            var checkpoint: Int64?
            var checkpoints = 0
            var messagesWithoutEvent = 0
            var problems: [String] = []
        }

        func run() async throws {
            let opened = try await store.openExisting()
            var report = Report()
            var levels = MerkleLevels()
            var logged = Set<String>()
            var next: Int64 = 0
            /// Per message and recipient: the state the last delivery event says, and its leaf.
            var deliveryEvents: [String: [String: (state: String?, leaf: Int64)]] = [:]
            var acceptedLeaf: [String: Int64] = [:]
            let now = Int64(Date().timeIntervalSince1970)
            do {
                report.unsequenced = try await opened.unsequencedLogEvents()
                while true {
                    let page = try await opened.logEntries(from: next, count: 1_000)
                    guard !page.isEmpty else { break }
                    for (index, entry) in page {
                        if index != Int64(levels.size) { report.problems.append("leaf \(levels.size): missing (the next stored leaf is \(index))") }
                        levels.append(MerkleTree.leafHash(entry))
                        guard let event = LogEvent.parse(entry) else {
                            report.problems.append("leaf \(index): not a canonical event")
                            continue
                        }
                        report.kinds[event.kind == "operator" ? "operator:" + (event.string("action") ?? "-") : event.kind ?? "-", default: 0] += 1
                        switch event.kind {
                        case "accepted":
                            report.accepted += 1
                            if let id = event.string("message") {
                                logged.insert(id)
                                acceptedLeaf[id] = index
                                if let problem = try await Self.check(event, id: id, in: opened) { report.problems.append("leaf \(index): message \(id): \(problem)") }
                            }
                        case "refused":
                            report.refused += 1
                            if let problem = try await Self.checkRefusal(event, in: opened, keptSince: now - refusalRetentionDays * 86_400) {
                                report.problems.append("leaf \(index): \(problem)")
                            }
                        case "archived":
                            if let problem = try await Self.checkArchive(event, in: opened) { report.problems.append("leaf \(index): \(problem)") }
                        case "delivered", "acknowledged", "dead", "operator":
                            guard let id = event.string("message"), let recipient = event.string("recipient") else { break }
                            let state: String? = switch (event.kind, event.string("outcome")) {
                            case ("delivered", _), ("acknowledged", "done"): "delivered"
                            case ("acknowledged", _): "failed"
                            case ("dead", _): "dead"
                            default: event.string("action") == "requeued" ? nil : deliveryEvents[id]?[recipient]?.state
                            }
                            deliveryEvents[id, default: [:]][recipient] = (state, index)
                        default: break
                        }
                    }
                    next = (page.last?.index ?? 0) + 1
                }
                report.events = levels.size
                // Every node the store keeps is the one the entries give.
                for level in 0..<levels.levels.count {
                    for (index, hash) in levels.levels[level].enumerated() {
                        guard let stored = try await opened.logNode(level: level, index: Int64(index)), stored == hash else {
                            let first = index << level
                            report.problems.append("node (\(level), \(index)) differs from the entries: the first leaf that disagrees is in [\(first), \(first + (1 << level)))")
                            break
                        }
                    }
                }
                report.root = levels.root.hexString
                // Every checkpoint: signed by the log's key, and the root of the tree the entries give at its size.
                var key: Ed25519Key?
                var after: Int64 = 0
                while true {
                    let page = try await opened.checkpoints(after: after, limit: 1_000)
                    guard let last = page.last else { break }
                    if key == nil { key = try Ed25519Key(seed: try await opened.logSigningSeed()) }
                    for checkpoint in page {
                        report.checkpoints += 1
                        if let problem = Self.check(checkpoint, key: key!, levels: levels) { report.problems.append(problem) }
                    }
                    report.checkpoint = last.size
                    after = last.size
                }
                report.messagesWithoutEvent = try await Self.messagesWithoutEvent(opened, logged: logged)
                // Each logged message's deliveries are in the state their last event says.
                for (id, leaf) in acceptedLeaf.sorted(by: { $0.value < $1.value }) {
                    for delivery in try await opened.trace(id) {
                        let said = deliveryEvents[id]?[delivery.recipient]
                        let final = ["delivered", "failed", "dead"].contains(delivery.state)
                        if let expected = said?.state, expected != delivery.state {
                            report.problems.append("leaf \(said?.leaf ?? leaf): message \(id): its delivery to \(delivery.recipient) is \(delivery.state), the log says \(expected)")
                        } else if said?.state == nil, final {
                            report.problems.append("leaf \(said?.leaf ?? leaf): message \(id): its delivery to \(delivery.recipient) is \(delivery.state), the log has no such event")
                        }
                    }
                }
                report.problems.sort { Self.leaf(of: $0) < Self.leaf(of: $1) }
            } catch {
                throw CommandFailure(.logUnreadable, "\(error)").report()
            }
            if json {
                print(try Output.json(report))
            } else {
                print("evidence log: \(report.events) events (\(report.accepted) accepted, \(report.refused) refused), \(report.unsequenced) not yet sequenced; root \(report.root)"
                      + (report.checkpoint.map { "; latest signed checkpoint: \($0) leaves (\(report.checkpoints) checkpoints checked)" } ?? ""))
                if report.messagesWithoutEvent > 0 { print("\(report.messagesWithoutEvent) stored messages have no event (received before the log, or added to the store behind the hub's back)") }
                for problem in report.problems.prefix(20) { print("DISAGREES: \(problem)") }
                if report.problems.isEmpty { print("the tree recomputes from the entries, and every accepted message agrees with its event") }
            }
            if !report.problems.isEmpty { throw ExitCode(1) }
        }

        /// What differs between an `accepted` event and the stored message, or nil.
        static func check(_ event: LogEvent, id: String, in store: any EvidenceStore & IntakeStore & RefusalStore & RetentionStore) async throws -> String? {
            guard let message = try await store.message(id) else { return "the message is not in the store" }
            if event.string("sha256") != message.sha256 { return "its SHA-256 is \(message.sha256), the event says \(event.string("sha256") ?? "-")" }
            if let purged = message.purged {
                // Its bytes are in the archive (truc archive verify checks them there); the archive must be recorded.
                if try await store.archives(after: purged.archive - 1, limit: 1).first?.sequence != purged.archive {
                    return "its payload was purged into archive \(purged.archive), which the store does not record"
                }
            } else {
                let bytes = try await store.payload(of: message.id, at: message.payloadPath)
                if Digest.sha256(bytes).hexString != message.sha256 { return "its stored bytes no longer have the SHA-256 the event records" }
            }
            if event.string("sender") != message.sender { return "its sender is \(message.sender), the event says \(event.string("sender") ?? "-")" }
            if let verdict = event.string("verdict"), verdict != Digest.sha256(Array(message.verdictJSON.utf8)).hexString {
                return "its stored verdict is not the one the event records"
            }
            if let recipients = event.strings("recipients"), !Set(recipients).isSubset(of: Set(try await store.recipients(of: id))) {
                return "its deliveries do not name every recipient the event records"
            }
            return nil
        }

        /// What differs between an `archived` event and the store's record of that archive, or nil.
        static func checkArchive(_ event: LogEvent, in store: any EvidenceStore & IntakeStore & RefusalStore & RetentionStore) async throws -> String? {
            guard let sequence = event.integer("sequence") else { return "an archived event without its sequence" }
            guard let record = try await store.archives(after: sequence - 1, limit: 1).first, record.sequence == sequence else {
                return "archive \(sequence) is logged but not recorded in the store"
            }
            if record.manifestSHA256 != event.string("manifest") || record.name != event.string("file") {
                return "archive \(sequence): the store records \(record.name) (manifest \(record.manifestSHA256)), the log says \(event.string("file") ?? "-") (manifest \(event.string("manifest") ?? "-"))"
            }
            return nil
        }

        /// What is wrong with a stored checkpoint: its note's signature under the log's key, or its root against
        /// the tree the entries give at its size (computed from the recomputed levels: O(log n) each).
        static func check(_ checkpoint: StoredCheckpoint, key: Ed25519Key, levels: MerkleLevels) -> String? {
            let origin = checkpoint.note.split(separator: "\n").first.map(String.init) ?? ""
            let verified = Checkpoint.verify(note: checkpoint.note, verifier: Checkpoint.verifierKey(name: origin, publicKey: key.publicKey))
            guard let verified, verified.size == checkpoint.size, verified.root == checkpoint.root else {
                return "checkpoint \(checkpoint.size): its note does not verify with the log's key, or says another tree"
            }
            guard checkpoint.size <= Int64(levels.size) else {
                return "checkpoint \(checkpoint.size): the store holds only \(levels.size) leaves (events were removed, or the store was rolled back)"
            }
            let root = MerkleTree.root(size: Int(checkpoint.size)) { level, index in levels.subtree(level, index) }
            return root == checkpoint.root ? nil : "checkpoint \(checkpoint.size): the entries give another root than the one signed (the log was rewritten)"
        }

        /// What differs between a `refused` event and the stored refusals, or nil (nil too for a refusal the hub's
        /// retention has pruned).
        static func checkRefusal(_ event: LogEvent, in store: any EvidenceStore & IntakeStore & RefusalStore & RetentionStore, keptSince: Int64) async throws -> String? {
            guard let text = event.string("time"), let date = ISO8601DateFormatter().date(from: text) else { return "a refused event without a time" }
            let at = Int64(date.timeIntervalSince1970)
            guard at >= keptSince else { return nil }
            let rows = try await store.refusals(agency: event.string("agency"), code: event.string("code"), from: at, to: at + 1, limit: 1_000)
            return rows.contains { $0.sha256 == event.string("sha256") && $0.caller == event.string("caller") } ? nil
                : "the refusal of \(event.string("sha256") ?? "-") (\(event.string("code") ?? "-")) at \(text) is not in the store"
        }

        /// The leaf a problem names first (problems without one last).
        static func leaf(of problem: String) -> Int64 {
            guard problem.hasPrefix("leaf "), let number = problem.dropFirst(5).split(separator: ":").first.flatMap({ Int64($0) }) else { return .max }
            return number
        }

        /// Stored messages with no `accepted` event.
        static func messagesWithoutEvent(_ store: any EvidenceStore & IntakeStore & RefusalStore & RetentionStore, logged: Set<String>) async throws -> Int {
            var missing = 0
            var cursor: (Int64, String)?
            while true {
                let page = try await store.messagesReceived(from: Int64.min, to: Int64.max, after: cursor, limit: 1_000)
                guard let last = page.last else { break }
                missing += page.filter { !logged.contains($0.id) }.count
                cursor = (last.receivedAt, last.id)
            }
            return missing
        }
    }
}
