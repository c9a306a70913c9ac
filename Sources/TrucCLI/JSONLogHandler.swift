import Foundation
import Logging

/// One JSON object per line on stderr: `time` (UTC, milliseconds), `level`, `label`, `message`, `source`
/// and the metadata as string members (message id, agency, delivery attempt, …). Never document content
/// or secrets: the hub does not put them in log metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) { fields[key] = "\(value)" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var object: [String: Any] = ["time": formatter.string(from: Date()), "level": event.level.rawValue, "label": label,
                                     "message": event.message.description, "source": event.source]
        if let error = event.error { object["error"] = "\(error)" }
        if !fields.isEmpty { object["metadata"] = fields }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}
