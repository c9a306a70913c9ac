import ArgumentParser
import Configuration
import Foundation
import TrucCore
import TrucServer
import Yams

/// Every configuration key of `truc serve`: its flag value, environment variable and default, for checking
/// the config file (an unknown or misspelt key is refused with its name) and for `--print-config` (the
/// effective value of each key and where it came from; secrets never printed).
extension ServeCommand {
    struct Key {
        let name: String
        let flag: String?
        let environment: String?
        let defaultText: String
        var secret = false
    }

    /// Each key's environment variable (keys without one are read from flags and the config file only).
    static let environmentNames: [String: String] = [
        "database-pool": "TRUC_DATABASE_POOL",
        "delivery-lease": "TRUC_DELIVERY_LEASE",
        "host": "TRUC_HOST",
        "port": "TRUC_PORT",
        "data": "TRUC_DATA_DIR",
        "database": "TRUC_DATABASE_URL",
        "node": "TRUC_NODE",
        "tls-cert": "TRUC_TLS_CERT",
        "tls-key": "TRUC_TLS_KEY",
        "client-ca": "TRUC_CLIENT_CA",
        "trust": "TRUC_TRUST_DIR",
        "hub-code": "TRUC_HUB_CODE",
        "max-body-bytes": "TRUC_MAX_BODY_BYTES",
        "operator-token": "TRUC_OPERATOR_TOKEN",
        "metrics-token": "TRUC_METRICS_TOKEN",
        "signing-eku": "TRUC_SIGNING_EKU",
        "algorithm-policy": "TRUC_ALGORITHM_POLICY",
        "revocation-rewrite": "TRUC_REVOCATION_REWRITE",
        "require-revocation": "TRUC_REQUIRE_REVOCATION",
        "revocation": "TRUC_REVOCATION",
        "revocation-unknown": "TRUC_REVOCATION_UNKNOWN",
        "upstream": "TRUC_UPSTREAM",
        "allow-targets": "TRUC_ALLOW_TARGETS",
        "deny-private-targets": "TRUC_DENY_PRIVATE_TARGETS",
        "fetch-ca-issuers": "TRUC_FETCH_CA_ISSUERS",
        "vxp-prefix": "TRUC_VXP_PREFIX",
        "vxp-http": "TRUC_VXP_HTTP",
        "vxp-http-writes": "TRUC_VXP_HTTP_WRITES",
        "vxp-system": "TRUC_VXP_SYSTEM",
        "vxp-secret-file": "TRUC_VXP_SECRET_FILE",
        "log-format": "TRUC_LOG_FORMAT",
        "tsa-url": "TRUC_TSA_URL",
        "witnesses": "TRUC_WITNESSES",
        "witness-for": "TRUC_WITNESS_FOR",
        "archive-dir": "TRUC_ARCHIVE_DIR",
    ]

    static func environmentName(_ key: String) -> String? { environmentNames[key] }

    /// The keys read as numbers or booleans (the others are text).
    static let intKeys = ["port", "max-body-bytes", "retry-attempts", "min-free-disk", "max-connections", "max-buffered-bytes", "verify-queue",
                          "refusal-retention-days", "revocation-freshness", "delivery-lease", "database-pool", "checkpoint-interval", "disk-forecast-days", "purge-interval"]
    static let doubleKeys = ["retry-base", "retry-max", "idle-timeout", "work-budget", "revocation-budget", "revocation-timeout", "vxp-poll"]
    static let boolKeys = ["require-revocation", "vxp-http-writes", "deny-private-targets", "fetch-ca-issuers"]

    var keys: [Key] {
        func s<T>(_ v: T?) -> String? { v.map { "\($0)" } }
        return [
            Key(name: "host", flag: host, environment: Self.environmentNames["host"], defaultText: "127.0.0.1"),
            Key(name: "port", flag: s(port), environment: Self.environmentNames["port"], defaultText: "8443"),
            Key(name: "data", flag: data, environment: Self.environmentNames["data"], defaultText: "./data"),
            Key(name: "database", flag: database, environment: Self.environmentNames["database"], defaultText: "none (SQLite in the data directory)", secret: true),
            Key(name: "node", flag: node, environment: Self.environmentNames["node"], defaultText: "the host name"),
            Key(name: "database-pool", flag: s(databasePool), environment: Self.environmentNames["database-pool"], defaultText: "32"),
            Key(name: "delivery-lease", flag: s(deliveryLease), environment: Self.environmentNames["delivery-lease"], defaultText: "60"),
            Key(name: "tls-cert", flag: tlsCert, environment: Self.environmentNames["tls-cert"], defaultText: "DATA/pki/hub/server.chain.pem"),
            Key(name: "tls-key", flag: tlsKey, environment: Self.environmentNames["tls-key"], defaultText: "DATA/pki/hub/server.key"),
            Key(name: "client-ca", flag: clientCA, environment: Self.environmentNames["client-ca"], defaultText: "DATA/pki/hub/client-ca.pem"),
            Key(name: "trust", flag: trust, environment: Self.environmentNames["trust"], defaultText: "DATA/pki/trust"),
            Key(name: "hub-code", flag: hubCode, environment: Self.environmentNames["hub-code"], defaultText: "000.00.00.W00"),
            Key(name: "max-body-bytes", flag: s(maxBodyBytes), environment: Self.environmentNames["max-body-bytes"], defaultText: "67108864"),
            Key(name: "operator-token", flag: operatorToken, environment: Self.environmentNames["operator-token"], defaultText: "none (no operator access)", secret: true),
            Key(name: "metrics-token", flag: metricsToken, environment: Self.environmentNames["metrics-token"], defaultText: "none (/metrics with the operator token only)", secret: true),
            Key(name: "require-revocation", flag: requireRevocation ? "true" : nil, environment: Self.environmentNames["require-revocation"], defaultText: "false"),
            Key(name: "revocation-rewrite", flag: revocationRewrite, environment: Self.environmentNames["revocation-rewrite"], defaultText: "none"),
            Key(name: "algorithm-policy", flag: algorithmPolicy, environment: Self.environmentNames["algorithm-policy"], defaultText: "built in: SHA-1 and RSA < 2048 from 2014-01-01, MD5 from 2009-01-01"),
            Key(name: "signing-eku", flag: signingEKU, environment: Self.environmentNames["signing-eku"], defaultText: SigningEKU.defaultText),
            Key(name: "revocation", flag: revocation, environment: Self.environmentNames["revocation"], defaultText: "prefer-ocsp"),
            Key(name: "revocation-unknown", flag: revocationUnknown, environment: Self.environmentNames["revocation-unknown"], defaultText: "indeterminate"),
            Key(name: "revocation-freshness", flag: s(revocationFreshness), environment: nil, defaultText: "3600"),
            Key(name: "revocation-budget", flag: s(revocationBudget), environment: nil, defaultText: "3"),
            Key(name: "revocation-timeout", flag: s(revocationTimeout), environment: nil, defaultText: "10"),
            Key(name: "routes", flag: routes.isEmpty ? nil : routes.joined(separator: " "), environment: nil, defaultText: "none"),
            Key(name: "upstream", flag: upstream, environment: Self.environmentNames["upstream"], defaultText: "none"),
            Key(name: "allow-targets", flag: allowTargets, environment: Self.environmentNames["allow-targets"], defaultText: "none (no loopback, link-local, multicast)"),
            Key(name: "fetch-ca-issuers", flag: fetchCAIssuers ? "true" : nil, environment: Self.environmentNames["fetch-ca-issuers"], defaultText: "false"),
            Key(name: "deny-private-targets", flag: denyPrivateTargets ? "true" : nil, environment: Self.environmentNames["deny-private-targets"], defaultText: "false"),
            Key(name: "retry-attempts", flag: s(retryAttempts), environment: nil, defaultText: "8"),
            Key(name: "retry-base", flag: s(retryBase), environment: nil, defaultText: "2"),
            Key(name: "retry-max", flag: s(retryMax), environment: nil, defaultText: "600"),
            Key(name: "vxp-prefix", flag: vxpPrefix, environment: Self.environmentNames["vxp-prefix"], defaultText: "/XrdAdapter/adapter"),
            Key(name: "vxp-http", flag: vxpHTTP, environment: Self.environmentNames["vxp-http"], defaultText: "none"),
            Key(name: "vxp-http-writes", flag: vxpHTTPWrites ? "true" : nil, environment: Self.environmentNames["vxp-http-writes"], defaultText: "false"),
            Key(name: "vxp-system", flag: vxpSystem, environment: Self.environmentNames["vxp-system"], defaultText: "none"),
            Key(name: "vxp-secret-file", flag: vxpSecretFile, environment: Self.environmentNames["vxp-secret-file"], defaultText: "none"),
            Key(name: "vxp-poll", flag: s(vxpPoll), environment: nil, defaultText: "5"),
            Key(name: "log-format", flag: logFormat, environment: Self.environmentNames["log-format"], defaultText: "text"),
            Key(name: "min-free-disk", flag: s(minFreeDisk), environment: nil, defaultText: "268435456"),
            Key(name: "idle-timeout", flag: s(idleTimeout), environment: nil, defaultText: "30"),
            Key(name: "max-connections", flag: s(maxConnections), environment: nil, defaultText: "4096"),
            Key(name: "max-buffered-bytes", flag: s(maxBufferedBytes), environment: nil, defaultText: "268435456"),
            Key(name: "verify-queue", flag: s(verifyQueue), environment: nil, defaultText: "64"),
            Key(name: "work-budget", flag: s(workBudget), environment: nil, defaultText: "20"),
            Key(name: "refusal-retention-days", flag: s(refusalRetentionDays), environment: nil, defaultText: "90"),
            Key(name: "payload-retention-days", flag: payloadRetentionDays, environment: nil, defaultText: "90"),
            Key(name: "payload-retention-overrides", flag: payloadRetentionOverrides, environment: nil, defaultText: "none"),
            Key(name: "archive-dir", flag: archiveDir, environment: Self.environmentNames["archive-dir"], defaultText: "none (nothing is purged)"),
            Key(name: "purge-interval", flag: s(purgeInterval), environment: nil, defaultText: "3600"),
            Key(name: "checkpoint-interval", flag: s(checkpointInterval), environment: nil, defaultText: "10"),
            Key(name: "tsa-url", flag: tsaURL, environment: Self.environmentNames["tsa-url"], defaultText: "none"),
            Key(name: "evidence-log", flag: evidenceLog, environment: nil, defaultText: "on"),
            Key(name: "disk-forecast-days", flag: s(diskForecastDays), environment: nil, defaultText: "30"),
            Key(name: "witnesses", flag: witnesses, environment: Self.environmentNames["witnesses"], defaultText: "none"),
            Key(name: "witness-for", flag: witnessFor, environment: Self.environmentNames["witness-for"], defaultText: "none"),
        ]
    }

    /// The payload retention policy and the archive directory (which must exist and be writable, and must not be
    /// the data directory or inside it: archives there would not free the volume they are meant to free).
    func retentionSettings(_ settings: ServeSettings, dataDirectory: String) throws -> RetentionSettings {
        var retention = RetentionSettings()
        switch RetentionPolicy.parse(days: settings.string("payload-retention-days") ?? "90", overrides: settings.string("payload-retention-overrides")) {
        case .success(let policy): retention.policy = policy
        case .failure(let error): throw CommandFailure(code: "usage", message: error.message, exitCode: 2).report()
        }
        retention.intervalSeconds = settings.int("purge-interval") ?? 3600
        guard (1...86_400).contains(retention.intervalSeconds) else {
            throw CommandFailure(code: "usage", message: "--purge-interval is 1 to 86400 seconds", exitCode: 2).report()
        }
        if let directory = settings.string("archive-dir") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
                  FileManager.default.isWritableFile(atPath: directory) else {
                throw CommandFailure(code: "archive-dir-unusable", message: "--archive-dir \(directory) is not a writable directory (create it, on another volume than the data directory)", exitCode: 2).report()
            }
            let archive = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
            let data = URL(fileURLWithPath: dataDirectory).standardizedFileURL.resolvingSymlinksInPath().path
            guard archive != data, !archive.hasPrefix(data + "/") else {
                throw CommandFailure(code: "archive-dir-unusable", message: "--archive-dir \(directory) is inside the data directory: archives there free no space (give a directory on another volume)", exitCode: 2).report()
            }
            retention.archiveDirectory = directory
            var archiveInfo = stat(), dataInfo = stat()
            if stat(directory, &archiveInfo) == 0, stat(dataDirectory, &dataInfo) == 0 { retention.archiveOnDataVolume = archiveInfo.st_dev == dataInfo.st_dev }
        }
        return retention
    }

    /// Refuses a config file key that is not one of `keys`, naming it and the nearest known key.
    func refuseUnknownKeys(_ settings: ServeSettings) throws {
        let known = keys.map(\.name)
        for key in settings.fileKeys.sorted() where !known.contains(key) {
            let nearest = known.min { Self.distance(key, $0) < Self.distance(key, $1) }
            let hint = nearest.flatMap { Self.distance(key, $0) <= 3 ? " (did you mean \"\($0)\"?)" : nil } ?? ""
            throw CommandFailure(code: "config-unknown-key", message: "\(config ?? "the config file"): unknown key \"\(key)\"\(hint); the keys are the flag names: \(known.joined(separator: ", "))",
                                 exitCode: 2).report()
        }
    }

    /// The effective configuration, one key a line with where its value came from; secrets masked.
    func printConfiguration(_ settings: ServeSettings) {
        var lines = ["key\tvalue\tsource"]
        for key in keys {
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
    func resolvedDefault(_ key: Key, _ settings: ServeSettings) -> String {
        let data = settings.string("data") ?? "./data"
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

    init(keys: [ServeCommand.Key], routes: [String], file: String?, environment: [String: String]) async throws {
        var flags: [String: String] = [:], env: [String: String] = [:], secrets: Set<String> = []
        for key in keys where key.name != "routes" {
            let name = Self.encoded(key.name)
            if key.secret { secrets.insert(name) }
            if let flag = key.flag { flags[name] = flag }
            if let variable = key.environment, let value = environment[variable] { env[name] = value }
        }
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: flags, secretsSpecifier: .specific(secrets)),
            EnvironmentVariablesProvider(environmentVariables: env, secretsSpecifier: .specific(secrets)),
        ]
        var fileKeys: [String] = []
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandFailure(code: "config-unreadable", message: "cannot read the config file \(file)", exitCode: 2).report()
            }
            let yaml = file.hasSuffix(".yaml") || file.hasSuffix(".yml")
            // The file's own keys, to refuse the unknown ones (the providers answer only what is asked).
            let object: Any? = yaml ? try? Yams.load(yaml: String(decoding: data, as: UTF8.self)) : try? JSONSerialization.jsonObject(with: data)
            guard let top = object as? [String: Any] else {
                throw CommandFailure(code: "config-invalid", message: "\(file) is not a \(yaml ? "YAML mapping" : "JSON object") whose keys are the flag names", exitCode: 2).report()
            }
            fileKeys = Array(top.keys)
            let path = ConfigReader(provider: InMemoryProvider(values: ["filePath": ConfigValue(.string(file), isSecret: false)]))
            do {
                providers.append(yaml ? try await FileProvider<YAMLSnapshot>(config: path) : try await FileProvider<JSONSnapshot>(config: path))
            } catch {
                throw CommandFailure(code: "config-invalid", message: "\(file): \(error)", exitCode: 2).report()
            }
        }
        let recorder = SourceRecorder()
        self.reader = ConfigReader(providers: providers, accessReporter: recorder)
        self.recorder = recorder
        self.fileKeys = fileKeys
        self.file = file
        self.flagRoutes = routes
    }

    func string(_ key: String) -> String? { reader.string(forKey: ConfigKey(key)) }
    func int(_ key: String) -> Int? { reader.int(forKey: ConfigKey(key)) }
    func double(_ key: String) -> Double? { reader.double(forKey: ConfigKey(key)) }
    func bool(_ key: String) -> Bool { reader.bool(forKey: ConfigKey(key)) ?? false }
    /// Repeated `--route` flags, else the file's list (`routes: [...]`).
    func strings(_ key: String) -> [String] {
        if key == "routes", !flagRoutes.isEmpty {
            recorder.note("routes", source: 0)
            return flagRoutes
        }
        return reader.stringArray(forKey: ConfigKey(key)) ?? []
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
        case 1: return "environment \(ServeCommand.environmentName(key) ?? Self.encoded(key))"
        default: return "config file \(file ?? "")"
        }
    }

    /// Refuses a value that a source gave in the wrong type (read as nil, it would silently fall back to the
    /// default): every typed key is read once, before anything else.
    func refuseInvalidValues(ints: [String], doubles: [String], bools: [String], lists: [String] = ["routes"]) throws {
        for key in lists { _ = reader.stringArray(forKey: ConfigKey(key)) }
        for key in ints { _ = int(key) }
        for key in doubles { _ = double(key) }
        for key in bools { _ = bool(key) }
        if let (key, index, detail) = recorder.firstInvalid() {
            let origin = index == 0 ? "flag --\(key)" : index == 1 ? "environment \(ServeCommand.environmentName(key) ?? Self.encoded(key))" : "config file \(file ?? "")"
            let hint = lists.contains(key) ? " (\(key) is a list: \(key): [\"H41=000.00.00.W41@https://…\", …])" : ""
            throw CommandFailure(code: "config-invalid-value", message: "\(key) from the \(origin) has the wrong type: \(detail)\(hint)", exitCode: 2).report()
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
