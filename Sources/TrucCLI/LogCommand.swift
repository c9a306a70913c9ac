import ArgumentParser
import Foundation
import TrucCrypto
import TrucLog
import TrucStore

/// `truc log …`: the evidence log of a hub's store.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "The evidence log: check it against the store.",
                                                    subcommands: [Verify.self, Monitor.self])

    /// `truc log verify`: recomputes the whole tree from the stored events and checks every stored node, then
    /// that the stored messages agree with their events (the exact bytes' SHA-256, sender, recipients, verdict).
    /// Names the first leaf that disagrees. Exit 0 when all agree, 1 otherwise, 2/3 when the store cannot be read.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recompute the evidence log from the stored events and check it against the store.")
        @OptionGroup var store: AgenciesCommand.StoreOption
        @Flag(help: "Print JSON.") var json = false

        struct Report: Encodable {
            var events = 0
            var accepted = 0
            var refused = 0
            var unsequenced: Int64 = 0
            var root: String = ""
            /// The size of the latest signed checkpoint, when there is one.
            var checkpoint: Int64?
            var messagesWithoutEvent = 0
            var problems: [String] = []
        }

        func run() async throws {
            let opened = try await store.openExisting()
            var report = Report()
            var levels = MerkleLevels()
            var logged = Set<String>()
            var next: Int64 = 0
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
                        switch event.kind {
                        case "accepted":
                            report.accepted += 1
                            if let id = event.string("message") {
                                logged.insert(id)
                                if let problem = try await Self.check(event, id: id, in: opened) { report.problems.append("leaf \(index): message \(id): \(problem)") }
                            }
                        case "refused": report.refused += 1
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
                // The latest checkpoint: signed by the log's key, and the root of the tree the entries give at its size.
                if let checkpoint = try await opened.checkpoint(size: nil) {
                    report.checkpoint = checkpoint.size
                    let key = try Ed25519Key(seed: try await opened.logSigningSeed())
                    let origin = checkpoint.note.split(separator: "\n").first.map(String.init) ?? ""
                    let verified = Checkpoint.verify(note: checkpoint.note, verifier: Checkpoint.verifierKey(name: origin, publicKey: key.publicKey))
                    if verified == nil || verified?.size != checkpoint.size || verified?.root != checkpoint.root {
                        report.problems.append("checkpoint \(checkpoint.size): its note does not verify with the log's key, or says another tree")
                    } else if checkpoint.size > Int64(levels.size) {
                        report.problems.append("checkpoint \(checkpoint.size): the store holds only \(levels.size) leaves (events were removed, or the store was rolled back)")
                    } else {
                        var prefix = MerkleLevels()
                        for i in 0..<Int(checkpoint.size) { prefix.append(levels.subtree(0, i)) }
                        if prefix.root != checkpoint.root {
                            report.problems.append("checkpoint \(checkpoint.size): the entries give another root than the one signed (the log was rewritten)")
                        }
                    }
                }
                report.messagesWithoutEvent = try await Self.messagesWithoutEvent(opened, logged: logged)
            } catch {
                throw CommandFailure(code: "log-unreadable", message: "\(error)", exitCode: 3).report()
            }
            if json {
                print(try Output.json(report))
            } else {
                print("evidence log: \(report.events) events (\(report.accepted) accepted, \(report.refused) refused), \(report.unsequenced) not yet sequenced; root \(report.root)"
                      + (report.checkpoint.map { "; latest signed checkpoint: \($0) leaves" } ?? ""))
                if report.messagesWithoutEvent > 0 { print("\(report.messagesWithoutEvent) stored messages have no event (received before the log, or added to the store behind the hub's back)") }
                for problem in report.problems.prefix(20) { print("DISAGREES: \(problem)") }
                if report.problems.isEmpty { print("the tree recomputes from the entries, and every accepted message agrees with its event") }
            }
            if !report.problems.isEmpty { throw ExitCode(1) }
        }

        /// What differs between an `accepted` event and the stored message, or nil.
        static func check(_ event: LogEvent, id: String, in store: any MessageStore) async throws -> String? {
            guard let message = try await store.message(id) else { return "the message is not in the store" }
            if event.string("sha256") != message.sha256 { return "its SHA-256 is \(message.sha256), the event says \(event.string("sha256") ?? "-")" }
            let bytes = try await store.payload(of: message.id, at: message.payloadPath)
            if Digest.sha256(bytes).hexString != message.sha256 { return "its stored bytes no longer have the SHA-256 the event records" }
            if event.string("sender") != message.sender { return "its sender is \(message.sender), the event says \(event.string("sender") ?? "-")" }
            if let verdict = event.string("verdict"), verdict != Digest.sha256(Array(message.verdictJSON.utf8)).hexString {
                return "its stored verdict is not the one the event records"
            }
            if let recipients = event.strings("recipients"), !Set(recipients).isSubset(of: Set(try await store.recipients(of: id))) {
                return "its deliveries do not name every recipient the event records"
            }
            return nil
        }

        /// Stored messages with no `accepted` event.
        static func messagesWithoutEvent(_ store: any MessageStore, logged: Set<String>) async throws -> Int {
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
