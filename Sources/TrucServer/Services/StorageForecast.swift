import Foundation
package import TrucStore

/// How full the data volume gets (docs/operating.md "Storage forecast"): what the store holds by kind and state, the bytes
/// it takes on disk, how fast that grew over the last `windowDays` days, and in how many days the data directory's
/// file system is full at that rate. The growth is the payload bytes received in the window (still stored) plus the
/// messages received in it times what a message costs on disk beyond its payload here ((disk bytes − payload bytes
/// stored) ÷ messages stored: rows, indexes, the log, the WAL), so a small-message hub is not forecast as if it
/// stored only its payloads, and a hub that purged payloads is not forecast as if each payload byte still carried
/// the rows of every purged message. Pure arithmetic over the figures given.
package struct StorageForecast: Sendable, Encodable {
    static let windowDays: Int64 = 7

    package var volume: [StoredVolume]
    package var diskBytes: Int64
    /// Free bytes of the data directory's file system (nil: not known, such as PostgreSQL's server disk).
    package var freeBytes: Int64?
    package var growthBytesPerDay: Double
    /// nil when the free space is not known; +∞ when the store does not grow.
    package var daysUntilFull: Double?

    package init(volume: [StoredVolume], diskBytes: Int64, freeBytes: Int64?) {
        self.volume = volume
        self.diskBytes = diskBytes
        self.freeBytes = freeBytes
        let payload = volume.reduce(Int64(0)) { $0 + $1.payloadBytes }
        let messages = volume.reduce(Int64(0)) { $0 + $1.messages }
        let recent = volume.reduce(Int64(0)) { $0 + $1.recentPayloadBytes }
        let recentMessages = volume.reduce(Int64(0)) { $0 + $1.recentMessages }
        let perMessage = messages > 0 ? Double(max(0, diskBytes - payload)) / Double(messages) : 0
        growthBytesPerDay = (Double(recent) + Double(recentMessages) * perMessage) / Double(Self.windowDays)
        daysUntilFull = freeBytes.map { free in growthBytesPerDay > 0 ? Double(free) / growthBytesPerDay : .infinity }
    }

    /// `nil` days as the API says them: unknown; +∞ as "never at this rate".
    enum CodingKeys: String, CodingKey { case volume, diskBytes, freeBytes, growthBytesPerDay, daysUntilFull }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(volume, forKey: .volume)
        try c.encode(diskBytes, forKey: .diskBytes)
        try c.encodeIfPresent(freeBytes, forKey: .freeBytes)
        try c.encode(growthBytesPerDay.rounded(), forKey: .growthBytesPerDay)
        if let days = daysUntilFull, days.isFinite { try c.encode((days * 10).rounded() / 10, forKey: .daysUntilFull) }
    }
}

/// The forecast, computed at most every `interval` (it scans the messages): shared by /metrics and the dashboard.
actor StorageForecaster {
    let store: any OperationsStore
    let interval: Duration
    private var last: (at: ContinuousClock.Instant, forecast: StorageForecast)?

    init(store: any OperationsStore, interval: Duration = .seconds(300)) {
        self.store = store
        self.interval = interval
    }

    func current() async throws -> StorageForecast {
        if let last, ContinuousClock.now - last.at < interval { return last.forecast }
        let since = Int64(Date().timeIntervalSince1970) - StorageForecast.windowDays * 86_400
        let disk = try await store.storeDisk()
        let forecast = StorageForecast(volume: try await store.storedVolume(receivedSince: since), diskBytes: disk.usedBytes, freeBytes: disk.freeBytes)
        last = (.now, forecast)
        return forecast
    }
}
