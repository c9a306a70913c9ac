import ArgumentParser
import EdXML
import Foundation
import TrucCore
import TrucStore
import TrucVocabulary
import TrucSQLiteStore

/// Fills a store with synthetic national-scale history for the statistics benchmark
/// (scripts/bench-stats.sh): about 30,000 agencies in the code hierarchy (63 provinces with departments,
/// districts and communes; 30 ministries with units) and N messages spread over D days, counted through
/// the same counter code as the intake. Deterministic (fixed seed).
struct BenchStatsFill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats-fill", abstract: "Fill a store with synthetic statistics history.")
    @Option(help: "Data directory to fill (created).") var data: String
    @Option(help: "Messages to count.") var messages: Int = 10_000_000
    @Option(help: "Days of history, ending yesterday (Vietnam time).") var days: Int = 365

    /// The synthetic directory: province H01–H63 and ministry G01–G30 subtrees.
    static func agencies() -> [Agency] {
        func pad(_ n: Int, _ w: Int) -> String { String(repeating: "0", count: max(0, w - String(n).count)) + String(n) }
        var result: [Agency] = []
        for p in 1...63 {
            let l1 = "H" + pad(p, 2)
            result.append(Agency(code: "000.00.00.\(l1)", name: "UBND Tỉnh số \(p)"))
            for y in 1...40 {
                result.append(Agency(code: "000.00.\(pad(y, 2)).\(l1)", name: y <= 20 ? "Sở số \(y) tỉnh \(p)" : "UBND Huyện số \(y) tỉnh \(p)",
                                     parent: "000.00.00.\(l1)"))
                if y > 30 {
                    for z in 1...30 {
                        result.append(Agency(code: "000.\(pad(z, 2)).\(pad(y, 2)).\(l1)", name: "UBND Xã số \(z) huyện \(y) tỉnh \(p)",
                                             parent: "000.00.\(pad(y, 2)).\(l1)"))
                    }
                }
            }
        }
        for m in 1...30 {
            let l1 = "G" + pad(m, 2)
            result.append(Agency(code: "000.00.00.\(l1)", name: "Bộ số \(m)"))
            for y in 1...50 {
                result.append(Agency(code: "000.00.\(pad(y, 2)).\(l1)", name: "Cục số \(y) bộ \(m)", parent: "000.00.00.\(l1)"))
                if y <= 25 {
                    for z in 1...10 {
                        result.append(Agency(code: "000.\(pad(z, 2)).\(pad(y, 2)).\(l1)", name: "Đơn vị \(z) cục \(y) bộ \(m)",
                                             parent: "000.00.\(pad(y, 2)).\(l1)"))
                    }
                }
            }
        }
        return result
    }

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        let store = try SQLiteStore(dataDirectory: data)
        try await store.setCacheSize(mebibytes: 4096)
        let agencies = Self.agencies()
        let started = Date()
        try await store.bulkRegister(agencies)
        say("registered \(agencies.count) agencies")
        let codes = agencies.map(\.code)
        let office = "000.00.00.G22"
        // Bucket shares (per mille): both, organisation, personal, unsigned, indeterminate, invalid.
        let buckets: [(String, UInt64)] = [("both", 450), ("organisation", 150), ("personal", 50), ("unsigned", 300), ("indeterminate", 20),
                                           ("invalid", 30)]
        var random = SplitMix64(seed: 2026)
        let today = CivilCalendar.split(Int64(Date().timeIntervalSince1970) + 7 * 3600).days
        let perDay = messages / days
        var storing = 0.0
        var batch: [SyntheticDay] = []
        for d in 0..<days {
            var day = SyntheticDay(day: CivilCalendar.isoDay(today - days + d))
            for _ in 0..<(perDay + (d < messages % days ? 1 : 0)) {
                let sender = codes[Int(random.next() % UInt64(codes.count))]
                var pick = random.next() % 1000, bucket = "both"
                for (name, share) in buckets {
                    if pick < share { bucket = name; break }
                    pick -= share
                }
                let roll = random.next() % 100
                let businessType = roll < 94 ? 0 : Int(roll % 3) + 1
                day.senders[.init(sender: sender, businessType: businessType, bucket: bucket), default: 0] += 1
                // Recipients: the parent (or the Government Office for level-1 units), sometimes G22, sometimes a peer.
                let parent = Hierarchy(parents: [:]).parent(of: sender) ?? office
                var recipients = [parent]
                if random.next() % 10 == 0 && parent != office { recipients.append(office) }
                if random.next() % 3 == 0 { recipients.append(codes[Int(random.next() % UInt64(codes.count))]) }
                for recipient in recipients where recipient != sender {
                    day.pairs[.init(sender: sender, recipient: recipient, businessType: businessType, bucket: bucket), default: 0] += 1
                }
            }
            batch.append(day)
            if d % 30 == 29 || d == days - 1 {
                // Thirty days per transaction: each commit rewrites the index pages it touched.
                let storeStarted = Date()
                try await store.addSynthetic(batch)
                batch.removeAll()
                storing += Date().timeIntervalSince(storeStarted)
                say("  \(day.day): \(d + 1) days, \(Int(Date().timeIntervalSince(started))) s (storing \(Int(storing)) s)")
            }
        }
        say("filled \(messages) messages over \(days) days in \(Int(Date().timeIntervalSince(started))) s")
    }
}

/// Progress lines, written at once (stdout is block-buffered in a pipe).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
