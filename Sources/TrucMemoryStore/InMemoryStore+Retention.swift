import Foundation
import TrucCore
import TrucLog
package import TrucStore
import TrucVocabulary

// The RetentionStore role in memory: a purged payload's bytes are dropped and its location marked
// `archived:<sequence>:<time>`, as in the other stores.
extension InMemoryStore {
    package func purgeCandidates(receivedBefore: Int64, after cursor: (Int64, String)?, limit: Int) -> [PurgeCandidate] {
        let (at, id) = cursor ?? (Int64.min, "")
        return messages.values.filter { m in
            m.receivedAt < receivedBefore && (m.receivedAt > at || (m.receivedAt == at && m.id > id)) && m.kind != "receipt" && !m.archived
        }
        .sorted { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }
        .prefix(max(0, limit))
        .map { m in
            let mine = deliveries.filter { $0.messageId == m.id }
            let finalAt = mine.isEmpty || mine.contains(where: \.waiting) ? nil : mine.map(\.updatedAt).max()
            return PurgeCandidate(id: m.id, kind: m.kind, sender: m.sender, recipients: mine.map(\.recipient), businessType: m.businessType,
                                  receivedAt: m.receivedAt, size: m.size, sha256: m.sha256, finalAt: finalAt)
        }
    }

    package func lastArchive() -> ArchiveRecord? { archiveRows.last }

    package func archives(after sequence: Int64, limit: Int) -> [ArchiveRecord] {
        Array(archiveRows.filter { $0.sequence > sequence }.prefix(max(0, limit)))
    }

    package func recordArchive(_ archive: ArchiveRecord) throws {
        let last = archiveRows.last?.sequence ?? 0
        guard archive.sequence == last + 1 else {
            throw StoreError.conflict("archive \(archive.sequence) does not follow the last recorded archive (\(last))")
        }
        archiveRows.append(archive)
        logEvent(.archived(sequence: archive.sequence, manifestSHA256: archive.manifestSHA256, name: archive.name,
                           messages: archive.messages, time: CivilCalendar.isoUTC(archive.createdAt)))
    }

    package func purgePayloads(_ ids: [String], archive sequence: Int64) throws -> PurgeResult {
        guard archiveRows.contains(where: { $0.sequence == sequence }) else {
            throw StoreError.invalid("archive \(sequence) is not recorded: nothing it holds may be purged")
        }
        let now = now()
        var purged: [String] = [], bytes: Int64 = 0
        for id in ids {
            guard let m = messages[id], m.kind != "receipt", !m.archived else { continue }
            let mine = deliveries.filter { $0.messageId == id }
            guard !mine.isEmpty, !mine.contains(where: \.waiting) else { continue }
            messages[id]?.payloadPath = PurgedPayload.location(archive: sequence, at: now)
            payloads[id] = nil
            purged.append(id)
            bytes += Int64(m.size)
        }
        purgedMessages += Int64(purged.count)
        purgedBytes += bytes
        return PurgeResult(purged: purged, bytes: bytes)
    }

    /// Nothing to give back: the bytes went with the purge.
    package func finishPurgeRound() {}

    package func purgeTotals() -> PurgeTotals {
        PurgeTotals(messages: purgedMessages, bytes: purgedBytes, archives: Int64(archiveRows.count),
                    archivedBytes: archiveRows.reduce(0) { $0 + $1.bytes })
    }
}

extension InMemoryStore: DirectoryStore, CredentialStore, ClientSystemStore, IntakeStore, InboxStore, DeliveryQueueStore, OperationsStore, RefusalStore,
    StatisticsStore, SessionStore, SealStore, EvidenceStore, EvidenceLogStore, WitnessStore, RetentionStore {}
