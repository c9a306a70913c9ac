import Foundation
package import TrucCore
import TrucLog
package import TrucStore
import TrucVocabulary

// The StatisticsStore and RefusalStore roles in memory: the same daily counters as the SQLite store's tables.
extension InMemoryStore {
    func count(sender: String, recipients: [String], businessType: Int, bucket: String, at time: Int64, by n: Int = 1) {
        let day = CivilCalendar.vietnamDay(time)
        dailySender[SenderKey(day: day, sender: sender, businessType: businessType, bucket: bucket), default: 0] += n
        statAgencies.insert(sender)
        for recipient in recipients {
            statAgencies.insert(recipient)
            dailyPair[PairKey(day: day, sender: sender, recipient: recipient, businessType: businessType, bucket: bucket), default: 0] += n
        }
    }

    @discardableResult
    package func countRefused(key: String, sender: String, recipients: [String], businessType: Int, at time: Int64) -> Bool {
        guard previous(key) == nil, refusedKeys[key] == nil else { return false }
        refusedKeys[key] = RefusedKey(firstAt: time, sender: sender, businessType: businessType, recipients: recipients, resolved: false)
        count(sender: sender, recipients: recipients, businessType: businessType, bucket: "invalid", at: time)
        return true
    }

    package func signedCounts(from: String, to: String, senders: [String]?, businessTypes: [Int], recipient: String?,
                              grouping: CountGrouping) -> [DailyCount] {
        if let senders, senders.isEmpty { return [] }
        let senderSet = senders.map(Set.init), types = Set(businessTypes)
        func group(_ day: String, _ sender: String) -> (String, String) {
            switch grouping {
            case .sender: (from, sender)
            case .day: (day, "")
            case .month: (String(day.prefix(7)) + "-01", "")
            }
        }
        var sums: [[String]: Int] = [:]
        func add(day: String, sender: String, businessType: Int, bucket: String, count: Int) {
            guard day >= from, day <= to, senderSet.map({ $0.contains(sender) }) ?? true, types.isEmpty || types.contains(businessType) else { return }
            let (key, who) = group(day, sender)
            sums[[key, who, bucket], default: 0] += count
        }
        if let recipient {
            for (k, n) in dailyPair where k.recipient == recipient { add(day: k.day, sender: k.sender, businessType: k.businessType, bucket: k.bucket, count: n) }
        } else {
            for (k, n) in dailySender { add(day: k.day, sender: k.sender, businessType: k.businessType, bucket: k.bucket, count: n) }
        }
        return sums.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            .map { DailyCount(day: $0.key[0], sender: $0.key[1], bucket: $0.key[2], count: $0.value) }
    }

    package func volume(from: String, to: String, agencies: [String]?, byDay: Bool) -> [VolumeRow] {
        let allowed = agencies.map(Set.init)
        var rows: [String: VolumeRow] = [:]
        for (k, n) in dailySender where k.day >= from && k.day <= to && k.bucket != "invalid" && (allowed?.contains(k.sender) ?? true) {
            let key = byDay ? k.day : k.sender
            rows[key, default: VolumeRow(key: key, sent: 0, received: 0)].sent += n
        }
        for (k, n) in dailyPair where k.day >= from && k.day <= to && k.bucket != "invalid" && (allowed?.contains(k.recipient) ?? true) {
            let key = byDay ? k.day : k.recipient
            rows[key, default: VolumeRow(key: key, sent: 0, received: 0)].received += n
        }
        return rows.values.sorted { $0.key < $1.key }
    }

    package func signerCounts(from: String, to: String, agencies: [String]?) -> [String: Int] {
        if let agencies, agencies.isEmpty { return [:] }
        let allowed = agencies.map(Set.init)
        var certificates: [String: Set<String>] = [:]
        for s in dailySigners where s.day >= from && s.day <= to && (allowed?.contains(s.agency) ?? true) {
            certificates[s.kind, default: []].insert(s.certificate)
        }
        return certificates.mapValues(\.count)
    }

    package func receivedDocuments(from: String, to: String, recipients: [String]?) -> [TimelinessReport.Document] {
        if let recipients, recipients.isEmpty { return [] }
        func start(_ day: String) -> Int64 { CivilCalendar.vietnamDayStart(day) ?? 0 }
        let (low, high) = (start(from), start(to) + 86_400)
        let allowed = recipients.map(Set.init)
        var documents: [TimelinessReport.Document] = []
        for d in deliveries where allowed?.contains(d.recipient) ?? true {
            guard let m = messages[d.messageId], m.kind == "edoc", let documentId = m.documentId, m.receivedAt >= low, m.receivedAt < high else { continue }
            var document = TimelinessReport.Document(messageId: m.id, documentId: documentId, sender: m.sender, recipient: d.recipient,
                                                     receivedAt: m.receivedAt, dueDate: m.dueDate, statusTimes: [:])
            // The recipient's statuses addressed to the document's sender.
            for s in messages.values where s.kind == "status" && s.answersDocumentId == documentId && s.sender == d.recipient {
                guard let code = s.statusCode, recipientsOf(s.id).contains(m.sender) else { continue }
                document.statusTimes[code] = min(document.statusTimes[code] ?? s.receivedAt, s.receivedAt)
            }
            documents.append(document)
        }
        return documents.enumerated().sorted { ($0.element.receivedAt, $0.offset) < ($1.element.receivedAt, $1.offset) }.map(\.element)
    }

    package func countedAgencies() -> [String] { statAgencies.sorted() }

    // MARK: refusals

    package func recordRefusal(_ refusal: Refusal) {
        var kept = refusal
        kept.id = nextRefusalId
        nextRefusalId += 1
        kept.time = CivilCalendar.vietnamISO(kept.at)
        let objects = kept.evidence.map(\.sha256)
        kept.evidence = []
        kept.trustSnapshot = nil
        kept.logEntry = nil
        refusalRows.append(kept)
        if let entry = refusal.logEntry { insertEvent(entry, message: nil) }
        guard !refusal.evidence.isEmpty || refusal.trustSnapshot != nil else { return }
        keepObjects(refusal.evidence, snapshot: refusal.trustSnapshot)
        var unique: [String] = []
        for sha in objects where !unique.contains(sha) { unique.append(sha) }
        refusalObjects[kept.id] = unique
    }

    package func refusalVerdict(_ id: Int64) -> (refusal: Refusal, verdictJSON: String?, objects: [EvidenceRecord])? {
        guard var refusal = refusalRows.first(where: { $0.id == id }) else { return nil }
        let verdict = refusal.verdictJSON
        refusal.verdictJSON = nil
        return (refusal, verdict, (refusalObjects[id] ?? []).sorted().compactMap { objects[$0] })
    }

    package func refusals(agency: String?, code: String?, from: Int64, to: Int64, limit: Int) -> [Refusal] {
        refusalRows.filter { $0.at >= from && $0.at < to && (agency == nil || $0.agency == agency) && (code == nil || $0.code == code) }
            .sorted { ($0.at, $0.id) > ($1.at, $1.id) }.prefix(max(0, limit)).map {
                var r = $0
                r.verdictJSON = nil
                return r
            }
    }

    package func refusalCounts(from: Int64, to: Int64) -> RefusalCounts {
        var byCode: [String: Int] = [:], byAgency: [String: Int] = [:]
        for r in refusalRows where r.at >= from && r.at < to {
            byCode[r.code, default: 0] += 1
            byAgency[r.agency, default: 0] += 1
        }
        let bySender = byAgency.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(20).map { RefusalCounts.SenderCount(sender: $0.key, count: $0.value) }
        return RefusalCounts(total: byCode.values.reduce(0, +), byCode: byCode, bySender: Array(bySender))
    }

    @discardableResult
    package func pruneRefusals(before: Int64) -> Int {
        let gone = refusalRows.filter { $0.at < before }.map(\.id)
        for id in gone { refusalObjects[id] = nil }
        refusalRows.removeAll { $0.at < before }
        return gone.count
    }
}
