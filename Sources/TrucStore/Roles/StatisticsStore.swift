package import TrucCore

/// The signed-ratio counters and the reports built on them.
package protocol StatisticsStore: Actor {
    @discardableResult
    func countRefused(key: String, sender: String, recipients: [String], businessType: Int, at time: Int64) async throws -> Bool
    func signedCounts(from: String, to: String, senders: [String]?, businessTypes: [Int], recipient: String?,
                      grouping: CountGrouping) async throws -> [DailyCount]
    func volume(from: String, to: String, agencies: [String]?, byDay: Bool) async throws -> [VolumeRow]
    func signerCounts(from: String, to: String, agencies: [String]?) async throws -> [String: Int]
    func receivedDocuments(from: String, to: String, recipients: [String]?) async throws -> [TimelinessReport.Document]
    func countedAgencies() async throws -> [String]
}
