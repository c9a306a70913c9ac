import ArgumentParser
import Configuration
import Foundation
import TrucCore
import TrucServer
import Yams

/// Checking the config file against the catalogue and `--print-config` (the effective value of each key and
/// where it came from; secrets never printed).
extension ServeCommand {
    /// The payload retention policy and the archive directory (which must exist and be writable, and must not be
    /// the data directory or inside it: archives there would not free the volume they are meant to free).
    func retentionSettings(_ settings: ServeSettings, dataDirectory: String) throws -> RetentionSettings {
        var retention = RetentionSettings()
        switch RetentionPolicy.parse(days: settings.defaulted("payload-retention-days"), overrides: settings.string("payload-retention-overrides")) {
        case .success(let policy): retention.policy = policy
        case .failure(let error): throw CommandFailure(.usage, error.message).report()
        }
        retention.intervalSeconds = settings.defaultedInt("purge-interval")
        guard (1...86_400).contains(retention.intervalSeconds) else {
            throw CommandFailure(.usage, "--purge-interval is 1 to 86400 seconds").report()
        }
        if let directory = settings.string("archive-dir") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: directory) else {
                throw CommandFailure(.archiveDirUnusable, "--archive-dir \(directory) is not a writable directory (create it, on another volume than the data directory)").report()
            }
            let archive = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
            let data = URL(fileURLWithPath: dataDirectory).standardizedFileURL.resolvingSymlinksInPath().path
            guard archive != data, !archive.hasPrefix(data + "/") else {
                throw CommandFailure(.archiveDirUnusable, "--archive-dir \(directory) is inside the data directory: archives there free no space (give a directory on another volume)").report()
            }
            retention.archiveDirectory = directory
            var archiveInfo = stat(), dataInfo = stat()
            if stat(directory, &archiveInfo) == 0, stat(dataDirectory, &dataInfo) == 0 { retention.archiveOnDataVolume = archiveInfo.st_dev == dataInfo.st_dev }
        }
        return retention
    }

    /// Refuses a config file key that is not one of `keys`, naming it and the nearest known key.
    func refuseUnknownKeys(_ settings: ServeSettings) throws {
        let known = ServeKeys.all.map(\.name)
        for key in settings.fileKeys.sorted() where !known.contains(key) {
            let nearest = known.min { Self.distance(key, $0) < Self.distance(key, $1) }
            let hint = nearest.flatMap { Self.distance(key, $0) <= 3 ? " (did you mean \"\($0)\"?)" : nil } ?? ""
            throw CommandFailure(.configUnknownKey, "\(config ?? "the config file"): unknown key \"\(key)\"\(hint); the keys are the flag names: \(known.joined(separator: ", "))").report()
        }
    }

    /// The effective configuration, one key a line with where its value came from; secrets masked.
    func printConfiguration(_ settings: ServeSettings) {
        var lines = ["key\tvalue\tsource"]
        for key in ServeKeys.all {
            var value: String, source: String
            if key.name == "routes" {
                let routes = settings.strings("routes")
                (value, source) = routes.isEmpty ? (key.defaultText, "default") : (routes.joined(separator: " "), settings.source(of: "routes") ?? "default")
            } else if let text = settings.text(key.name), let origin = settings.source(of: key.name) {
                (value, source) = (text, origin)
            } else {
                (value, source) = (resolvedDefault(key, settings), "default")
            }
            if key.secret && source != "default" { value = "(set, not shown)" }
            lines.append("\(key.name)\t\(value)\t\(source)")
        }
        print(lines.joined(separator: "\n"))
    }

    /// A default as this hub would use it: paths under the data directory actually given, the host name
    /// itself; the demo PKI's files with `--demo-pki`.
    func resolvedDefault(_ key: ServeKey, _ settings: ServeSettings) -> String {
        let data = settings.defaulted("data")
        let demo = demoPKI ? (try? DemoPKI.locate()) : nil
        switch key.name {
        case "node": return ProcessInfo.processInfo.hostName
        case "tls-cert": return demo.map { $0 + "/hub/server.chain.pem" } ?? data + "/pki/hub/server.chain.pem (made on first start)"
        case "tls-key": return demo.map { $0 + "/hub/server.key" } ?? data + "/pki/hub/server.key (made on first start)"
        case "client-ca": return demo.map { $0 + "/hub/client-ca.pem" } ?? data + "/pki/hub/client-ca.pem (made on first start)"
        case "trust": return demo.map { $0 + "/trust" } ?? data + "/pki/trust (made on first start)"
        default: return key.defaultText
        }
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// `truc serve`'s settings: the flags given, the environment, and the config file (JSON, or YAML for a `.yaml`
/// or `.yml` path), read through one `ConfigReader` of apple/swift-configuration in that order of precedence.
/// Keys are the flag names; each key's environment variable is the one its flag's help names (`TRUC_…`).
/// A value of the wrong type (`"port": "eighty"`) is refused with its key and where it came from.
struct ServeSettings: Sendable {
    let reader: ConfigReader
    let recorder: SourceRecorder
    /// The config file's top-level keys (checked against the known keys).
    let fileKeys: [String]
    let file: String?
    /// `--route` values (repeated flags), before the file's `routes`.
    let flagRoutes: [String]

    /// The name a key has in the flag and environment providers (their default key encoding: upper case,
    /// anything but letters and digits an underscore).
    static func encoded(_ key: String) -> String {
        key.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    static let sourceNames = ["flag", "environment", "config file"]

    init(flags: ServeFlags, file: String?, environment: [String: String]) async throws {
        var given: [String: String] = [:], env: [String: String] = [:], secrets: Set<String> = []
        for key in ServeKeys.all where key.kind != .list {
            let name = Self.encoded(key.name)
            if key.secret { secrets.insert(name) }
            if let flag = flags.values[key.name] { given[name] = flag }
            if let variable = key.environment, let value = environment[variable] { env[name] = value }
        }
        let routes = flags.lists["routes"] ?? []
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: given, secretsSpecifier: .specific(secrets)),
            EnvironmentVariablesProvider(environmentVariables: env, secretsSpecifier: .specific(secrets)),
        ]
        var fileKeys: [String] = []
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure(.configUnreadable, "cannot read the config file \(file)").report()
            }
            let yaml = file.hasSuffix(".yaml") || file.hasSuffix(".yml")
            // The file's own keys, to refuse the unknown ones (the providers answer only what is asked).
            let object: Any? = yaml ? try? Yams.load(yaml: String(decoding: data, as: UTF8.self)) : try? JSONSerialization.jsonObject(with: data)
            guard let top = object as? [String: Any] else {
                throw CommandFailure(.configInvalid, "\(file) is not a \(yaml ? "YAML mapping" : "JSON object") whose keys are the flag names").report()
            }
            fileKeys = Array(top.keys)
            let path = ConfigReader(provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(file), isSecret: false)]))
            do {
                providers.append(yaml ? try await FileProvider<YAMLSnapshot>(config: path) : try await FileProvider<JSONSnapshot>(config: path))
            } catch {
                throw CommandFailure(.configInvalid, "\(file): \(error)").report()
            }
        }
        let recorder = SourceRecorder()
        self.reader = ConfigReader(providers: providers, accessReporter: recorder)
        self.recorder = recorder
        self.fileKeys = fileKeys
        self.file = file
        self.flagRoutes = routes
    }

    /// A key's value from a flag, the environment or the config file; nil when none gives one.
    func string(_ key: String) -> String? { reader.string(forKey: ConfigKey(key)) }
    func int(_ key: String) -> Int? { reader.int(forKey: ConfigKey(key)) }
    func double(_ key: String) -> Double? { reader.double(forKey: ConfigKey(key)) }
    func bool(_ key: String) -> Bool { reader.bool(forKey: ConfigKey(key)) ?? (ServeKeys.key(key).defaultValue == "true") }

    /// A key's value, else the catalogue's default (for keys that have one: asking another is a programming error).
    func defaulted(_ key: String) -> String { string(key) ?? Self.catalogueDefault(key) }
    func defaultedInt(_ key: String) -> Int { int(key) ?? Int(Self.catalogueDefault(key))! }
    func defaultedDouble(_ key: String) -> Double { double(key) ?? Double(Self.catalogueDefault(key))! }

    private static func catalogueDefault(_ key: String) -> String {
        guard let value = ServeKeys.key(key).defaultValue else { preconditionFailure("the key \(key) has no default in ServeKeys") }
        return value
    }
    /// Repeated `--route` flags, else the file's list (`routes: [...]`).
    func strings(_ key: String) -> [String] {
        if key == "routes", !flagRoutes.isEmpty {
            recorder.note("routes", source: 0)
            return flagRoutes
        }
        return reader.stringArray(forKey: ConfigKey(key)) ?? []
    }

    /// Refuses a number outside its key's range (`ServeKey.range`), not finite included, naming where it came from:
    /// before anything is made, so that no setting reaches arithmetic it would overflow.
    func refuseOutOfRange() throws {
        for key in ServeKeys.all {
            guard let range = key.range else { continue }
            let value = key.kind == .int ? int(key.name).map(Double.init) : double(key.name)
            guard let value, !range.contains(value) else { continue }
            func text(_ n: Double) -> String { n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n) }
            throw CommandFailure(.configInvalidValue, "\(key.name) \(text(value)) from the \(source(of: key.name) ?? "configuration") is out of range: give \(text(range.lowerBound)) to \(text(range.upperBound))").report()
        }
    }

    /// A key's effective value as text, whatever its type (for `--print-config`).
    func text(_ key: String) -> String? {
        if let value = reader.string(forKey: ConfigKey(key)) { return value }
        if let value = reader.int(forKey: ConfigKey(key)) { return String(value) }
        if let value = reader.double(forKey: ConfigKey(key)) { return String(value) }
        if let value = reader.bool(forKey: ConfigKey(key)) { return String(value) }
        return nil
    }

    /// Where a key's value came from: `flag --KEY`, `environment VAR`, `config file PATH`; nil when no source has it.
    func source(of key: String) -> String? {
        guard let index = recorder.source(of: key) else { return nil }
        switch index {
        case 0: return key == "routes" ? "flag --route" : "flag --\(key)"
        case 1: return "environment \(ServeKeys.byName[key]?.environment ?? Self.encoded(key))"
        default: return "config file \(file ?? "")"
        }
    }

    /// Refuses a value that a source gave in the wrong type (read as nil, it would silently fall back to the
    /// default): every typed key is read once, before anything else.
    func refuseInvalidValues() throws {
        let lists = ServeKeys.all.filter { $0.kind == .list }.map(\.name)
        for key in ServeKeys.all {
            switch key.kind {
            case .list: _ = reader.stringArray(forKey: ConfigKey(key.name))
            case .int: _ = int(key.name)
            case .double: _ = double(key.name)
            case .bool: _ = bool(key.name)
            case .text: break
            }
        }
        if let (key, index, detail) = recorder.firstInvalid() {
            let origin = index == 0 ? "flag --\(key)" : index == 1 ? "environment \(ServeKeys.byName[key]?.environment ?? Self.encoded(key))" : "config file \(file ?? "")"
            let hint = lists.contains(key) ? " (\(key) is a list: \(key): [\"H41=000.00.00.W41@https://…\", …])" : ""
            throw CommandFailure(.configInvalidValue, "\(key) from the \(origin) has the wrong type: \(detail)\(hint)").report()
        }
    }
}

/// Records, for every key read, which provider (by position) gave its value, and which gave one that could
/// not be converted to the type asked for.
final class SourceRecorder: AccessReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [String: Int] = [:]
    private var invalid: [(String, Int, String)] = []

    func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        lock.lock()
        defer { lock.unlock() }
        for (index, result) in event.providerResults.enumerated() {
            switch result.result {
            case .success(let lookup):
                if lookup.value != nil {
                    if sources[key] == nil { sources[key] = index }
                    return
                }
            case .failure(let error):
                if !invalid.contains(where: { $0.0 == key }) { invalid.append((key, index, "\(error)")) }
                return
            }
        }
    }

    func note(_ key: String, source: Int) {
        lock.lock()
        defer { lock.unlock() }
        sources[key] = source
    }

    func source(of key: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return sources[key]
    }

    func firstInvalid() -> (String, Int, String)? {
        lock.lock()
        defer { lock.unlock() }
        return invalid.first
    }
}
