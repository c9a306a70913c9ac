import Logging
import TrucStore

/// Remembers when agencies ask for their inbox (the dashboard's "last pulled"), writing to the store at most
/// once a minute per agency on each node: an agency polling every second costs one small write a minute.
/// A failed write is logged and forgotten: the pull itself has already been answered.
actor PullRecorder {
    private var written: [String: Int64] = [:]
    static let precision: Int64 = 60

    func pulled(_ code: String, at time: Int64, store: any OperationsStore, logger: Logger) async {
        if let last = written[code], time - last < Self.precision { return }
        written[code] = time
        do {
            try await store.recordPull(by: code, at: time)
        } catch {
            written[code] = nil
            logger.warning("could not record an inbox pull", metadata: ["agency": "\(code)", "error": "\(error)"])
        }
    }
}
