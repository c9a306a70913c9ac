import ArgumentParser
import Foundation
import TrucCore
import TrucCrypto
import TrucLog
import EdXML
import TrucStore
import TrucVocabulary
import TrucSQLiteStore

/// Fills a store with messages for the migration benchmark (scripts/bench-migrate.sh): N documents from the
/// agencies registered in it (run `truc bench stats-fill` first for a national directory, else the demo
/// agencies are used) with payloads (most a few KiB in the database, one in `--large-every` of 256 KiB in
/// payload segments), one to three recipients each, two in three deliveries acknowledged with a delivery
/// receipt for the sender, as the intake and the receipt issuer store them (through `SQLiteStore.accept`).
/// Deterministic (fixed seed); the payloads are distinct bytes, not parsed.
struct BenchStoreFill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "messages-fill", abstract: "Fill a store with documents, deliveries and receipts.")
    @Option(help: "Data directory to fill (created if needed).") var data: String
    @Option(help: "Documents to store.") var messages: Int = 100_000
    @Option(name: .customLong("payload-kib"), help: "Size of a typical payload, in KiB.") var payloadKiB: Int = 4
    @Option(name: .customLong("large-every"), help: "One document in this many has a 256 KiB payload (0: none).") var largeEvery: Int = 100
    @Flag(name: .customLong("all-acknowledged"), help: "Every delivery acknowledged (every document final), not two in three.") var allAcknowledged = false

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        let store = try SQLiteStore(dataDirectory: data)
        var codes = try await store.agencies().map(\.code)
        if codes.count < 2 {
            for agency in [Agency(code: "000.00.00.G22", name: "Văn phòng Chính phủ"), Agency(code: "000.00.00.H41", name: "UBND tỉnh Nghệ An"),
                           Agency(code: "000.00.00.H14", name: "UBND tỉnh Cao Bằng")] {
                try await store.upsert(agency)
            }
            codes = try await store.agencies().map(\.code)
        }
        let all = allAcknowledged
        let template = BenchMessages.status(targetBytes: payloadKiB << 10)
        let large = BenchMessages.status(targetBytes: 256 << 10)
        let started = Date()
        var random = SplitMix64(seed: 102)
        var next = 0
        var receipts = 0
        let now = Int64(Date().timeIntervalSince1970)
        while next < messages {
            // 256 at a time: the store commits concurrent intakes together, as under load.
            var work: [(IncomingMessage, [UInt8], [String])] = []
            for n in next..<min(messages, next + 256) {
                let sender = codes[Int(random.next() % UInt64(codes.count))]
                var recipients: [String] = []
                for _ in 0..<(1 + Int(random.next() % 3)) {
                    let recipient = codes[Int(random.next() % UInt64(codes.count))]
                    if recipient != sender && !recipients.contains(recipient) { recipients.append(recipient) }
                }
                if recipients.isEmpty { recipients = [codes.first { $0 != sender }!] }
                var payload = largeEvery > 0 && n % largeEvery == 0 ? large : template
                payload += Array("<!-- bench \(n) -->\n".utf8)
                let id = MessageID.make()
                let sha = Digest.sha256(payload).hexString
                let documentId = "\(sender),2026/11/20,\(n)/BENCH"
                var message = IncomingMessage(
                    id: id, kind: "edoc", sender: sender, documentId: documentId, idempotencyKey: "bench|\(sender)|\(documentId)",
                    receivedAt: now - Int64(messages - n), sha256: sha, recipients: recipients, verdictJSON: "{}",
                    bucket: ["both", "organisation", "unsigned"][Int(random.next() % 3)], businessType: 0, statusCode: nil,
                    answersDocumentId: nil, answerJSON: "{\"id\":\"\(id)\"}")
                // The accepted event, as the intake writes it.
                message.logEntry = LogEvent(kind: "accepted", time: CivilCalendar.isoUTC(message.receivedAt), [
                    "message": .string(id), "messageKind": .string("edoc"), "sender": .string(sender), "recipients": .strings(recipients),
                    "documentId": .string(documentId), "sha256": .string(sha), "verdict": .string(Digest.sha256(Array("{}".utf8)).hexString),
                ]).canonical
                work.append((message, payload, recipients))
            }
            next += work.count
            try await withThrowingTaskGroup(of: Int.self) { group in
                for (message, payload, recipients) in work {
                    group.addTask {
                        _ = try await store.accept(message, payload: payload)
                        var issued = 0
                        for (index, recipient) in recipients.enumerated() where all || (index + message.id.utf8.count) % 3 != 0 {
                            _ = try await store.acknowledge(message.id, by: recipient, outcome: .done, reason: nil)
                            let bytes = Array("<receipt message=\"\(message.id)\" recipient=\"\(recipient)\"/>".utf8)
                            let id = MessageID.make()
                            let receipt = IncomingMessage(
                                id: id, kind: "receipt", sender: "000.00.00.G22", documentId: message.documentId,
                                idempotencyKey: "receipt|000.00.00.G22|\(message.id)|\(recipient)", receivedAt: message.receivedAt + 1,
                                sha256: Digest.sha256(bytes).hexString, recipients: [message.sender], verdictJSON: "{}", bucket: "unsigned",
                                businessType: nil, statusCode: nil, answersDocumentId: message.id, answerJSON: "{\"id\":\"\(id)\"}")
                            _ = try await store.accept(receipt, payload: bytes)
                            issued += 1
                        }
                        return issued
                    }
                }
                for try await issued in group { receipts += issued }
            }
            if next % 10_000 < 256 || next == messages {
                FileHandle.standardOutput.write(Data("  \(next) documents, \(receipts) receipts, \(Int(Date().timeIntervalSince(started))) s\n".utf8))
            }
        }
        FileHandle.standardOutput.write(Data("filled \(messages) documents and \(receipts) receipts in \(Int(Date().timeIntervalSince(started))) s\n".utf8))
    }
}
