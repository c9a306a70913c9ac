import Foundation
import TrucCrypto
import TrucLog
package import TrucStore
import TrucVocabulary

// The EvidenceLogStore and WitnessStore roles in memory: leaf i is event i, as in the SQLite store.
extension InMemoryStore {
    /// Writes an event of the evidence log; nothing when the log is off. Every event the store writes goes through here.
    func insertEvent(_ entry: [UInt8], message: String?) {
        guard EvidenceLogSwitch.isOn else { return }
        logEvents.append(LogEventRow(entry: entry, message: message))
    }

    func logEvent(_ event: LogEvent, message: String? = nil) {
        insertEvent(event.canonical, message: message)
    }

    /// Writes an operator's change (`LogEvent.operatorAction`), dated by the system's clock.
    func logOperator(_ action: String, _ details: [String: LogEvent.Value?]) {
        let event = LogEvent.operatorAction(action, time: CivilCalendar.isoUTC(Int64(Date().timeIntervalSince1970)), details)
        logEvent(event, message: event.string("message"))
    }

    package func appendLogEvent(_ entry: [UInt8]) { insertEvent(entry, message: nil) }

    package func appendLogEvents(_ events: [(entry: [UInt8], message: String?)]) {
        for event in events { insertEvent(event.entry, message: event.message) }
    }

    @discardableResult
    package func sequenceLog(limit: Int) throws -> Int64 {
        let end = min(Int64(logEvents.count), treeSize + Int64(max(0, limit)))
        guard end > treeSize else { return treeSize }
        let leaves = logEvents[Int(treeSize)..<Int(end)].map { MerkleTree.leafHash($0.entry) }
        let size = treeSize
        let nodes = try MerkleTree.appending(leaves, to: size) { level, index in
            guard let hash = logNodes[NodeKey(level: level, index: index)] else {
                throw StoreError.invalid("the evidence log lacks node (\(level), \(index)) of a tree of \(size) leaves")
            }
            return hash
        }
        for node in nodes { logNodes[NodeKey(level: node.level, index: node.index)] = node.hash }
        treeSize = end
        return treeSize
    }

    package func logSize() -> Int64 { treeSize }

    package func logNode(level: Int, index: Int64) -> [UInt8]? { logNodes[NodeKey(level: level, index: index)] }

    package func logEntries(from: Int64, count: Int) -> [(index: Int64, entry: [UInt8])] {
        guard from >= 0, from < treeSize, count > 0 else { return [] }
        let end = min(treeSize, from + Int64(count))
        return (from..<end).map { (index: $0, entry: logEvents[Int($0)].entry) }
    }

    package func logIndex(ofMessage id: String) -> Int64? {
        logEvents.prefix(Int(treeSize)).firstIndex { $0.message == id }.map(Int64.init)
    }

    package func logEvents(ofMessage id: String) -> [(index: Int64?, entry: [UInt8])] {
        logEvents.enumerated().filter { $0.element.message == id }.map { (index: Int64($0.offset) < treeSize ? Int64($0.offset) : nil, entry: $0.element.entry) }
    }

    package func unsequencedLogEvents() -> Int64 { Int64(logEvents.count) - treeSize }

    package func logSigningSeed() throws -> [UInt8] {
        if let logSeed { return logSeed }
        let seed = try Ed25519Key.newSeed()
        logSeed = seed
        return seed
    }

    package func saveCheckpoint(_ checkpoint: StoredCheckpoint) {
        if checkpointsBySize[checkpoint.size] == nil {
            var kept = checkpoint
            kept.timeStampToken = nil
            kept.timeStampTime = nil
            checkpointsBySize[checkpoint.size] = kept
        }
    }

    package func checkpoint(size: Int64?) -> StoredCheckpoint? {
        guard let size else { return checkpointsBySize.keys.max().flatMap { checkpointsBySize[$0] } }
        return checkpointsBySize[size]
    }

    package func checkpoints(after: Int64, limit: Int) -> [StoredCheckpoint] {
        checkpointsBySize.keys.filter { $0 > after }.sorted().prefix(max(0, limit)).compactMap { checkpointsBySize[$0] }
    }

    package func checkpointsAwaitingTimeStamp(limit: Int) -> [StoredCheckpoint] {
        checkpointsBySize.values.filter { $0.timeStampToken == nil }.sorted { $0.size > $1.size }.prefix(max(0, limit)).map { $0 }
    }

    package func saveCheckpointTimeStamp(size: Int64, token: [UInt8], time: Int64) {
        guard checkpointsBySize[size]?.timeStampToken == nil, checkpointsBySize[size] != nil else { return }
        checkpointsBySize[size]?.timeStampToken = token
        checkpointsBySize[size]?.timeStampTime = time
    }

    // MARK: witnesses

    package func saveCosignature(size: Int64, witness: String, line: String) {
        if cosignaturesBySize[size]?[witness] == nil { cosignaturesBySize[size, default: [:]][witness] = line }
    }

    package func cosignatures(size: Int64) -> [(witness: String, line: String)] {
        (cosignaturesBySize[size] ?? [:]).sorted { $0.key < $1.key }.map { (witness: $0.key, line: $0.value) }
    }

    package func lastCosigned(by witness: String) -> Int64? {
        cosignaturesBySize.filter { $0.value[witness] != nil }.keys.max()
    }

    package func witnessed(_ origin: String) -> WitnessedCheckpoint? { witnessedLogs[origin] }

    package func advanceWitnessed(_ origin: String, from: Int64?, to checkpoint: WitnessedCheckpoint) -> Bool {
        if let from {
            guard witnessedLogs[origin]?.size == from else { return false }
        } else if witnessedLogs[origin] != nil {
            return false
        }
        witnessedLogs[origin] = checkpoint
        return true
    }

    package func recordFork(_ fork: WitnessFork) {
        // Once per checkpoint shown (a forked log asks again and again), and at most 1,000 per log.
        guard !forkRows.contains(where: { $0.origin == fork.origin && $0.shown == fork.shown }) else { return }
        forkRows.append(fork)
        let mine = forkRows.indices.filter { forkRows[$0].origin == fork.origin }
        if mine.count > 1_000 {
            let drop = Set(mine.prefix(mine.count - 1_000))
            forkRows = forkRows.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
        }
    }

    package func forks(limit: Int) -> [WitnessFork] { Array(forkRows.reversed().prefix(max(0, limit))) }

    package func forkCount() -> Int64 { Int64(forkRows.count) }
}
