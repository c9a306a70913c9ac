import ArgumentParser
import Foundation
import TrucStore
import TrucSQLiteStore

/// What a hub keeps, per message: its store file, the payload segments, and the validation data kept with the
/// verdicts (distinct objects and their bytes, links) — run on a hub's data directory after a load
/// (scripts/bench-kept.sh) to see what keeping the validation data costs, and that the common CA's CRL and
/// certificates are kept once.
struct BenchKept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kept", abstract: "Print what a hub's store keeps per message, validation data included.")
    @Option(help: "The hub's data directory (stopped, or running).") var data: String

    func run() async throws {
        let export = try StoreExport(dataDirectory: data)
        let messages = try export.count("messages")
        let store = try SQLiteStore(dataDirectory: data)
        let totals = try await store.evidenceTotals()
        func size(_ path: String) -> Int64 {
            var directory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &directory), directory.boolValue,
                  let enumerator = FileManager.default.enumerator(atPath: path) else {
                return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
            }
            var total: Int64 = 0
            while let file = enumerator.nextObject() as? String {
                total += (try? FileManager.default.attributesOfItem(atPath: path + "/" + file)[.size] as? Int64) ?? 0
            }
            return total
        }
        let database = size(data + "/truc.sqlite") + size(data + "/truc.sqlite-wal")
        let payloads = size(data + "/payloads")
        let per = { (value: Int64) -> String in messages == 0 ? "-" : String(format: "%.0f", Double(value) / Double(messages)) }
        print("messages                 \(messages)")
        print("database                 \(database) bytes (\(per(database)) per message), payload segments \(payloads) bytes (\(per(payloads)) per message)")
        print("validation objects       \(totals.objects) distinct, \(totals.bytes) bytes; \(totals.links) links (\(messages == 0 ? "-" : String(format: "%.1f", Double(totals.links) / Double(messages))) per message); \(totals.snapshots) trust snapshots")
        print("validation data          \(per(totals.bytes)) bytes per message kept; \(per(totals.links * 60)) bytes per message of links (about 60 bytes each)")
    }
}
