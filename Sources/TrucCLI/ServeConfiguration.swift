import ArgumentParser
import Foundation

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

    var keys: [Key] {
        func s<T>(_ v: T?) -> String? { v.map { "\($0)" } }
        return [
            Key(name: "host", flag: host, environment: "TRUC_HOST", defaultText: "127.0.0.1"),
            Key(name: "port", flag: s(port), environment: "TRUC_PORT", defaultText: "8443"),
            Key(name: "data", flag: data, environment: "TRUC_DATA_DIR", defaultText: "./data"),
            Key(name: "database", flag: database, environment: "TRUC_DATABASE_URL", defaultText: "none (SQLite in the data directory)", secret: true),
            Key(name: "node", flag: node, environment: "TRUC_NODE", defaultText: "the host name"),
            Key(name: "delivery-lease", flag: s(deliveryLease), environment: nil, defaultText: "300"),
            Key(name: "tls-cert", flag: tlsCert, environment: "TRUC_TLS_CERT", defaultText: "DATA/pki/hub/server.chain.pem"),
            Key(name: "tls-key", flag: tlsKey, environment: "TRUC_TLS_KEY", defaultText: "DATA/pki/hub/server.key"),
            Key(name: "client-ca", flag: clientCA, environment: "TRUC_CLIENT_CA", defaultText: "DATA/pki/hub/client-ca.pem"),
            Key(name: "trust", flag: trust, environment: "TRUC_TRUST_DIR", defaultText: "DATA/pki/trust"),
            Key(name: "hub-code", flag: hubCode, environment: "TRUC_HUB_CODE", defaultText: "000.00.00.W00"),
            Key(name: "max-body-bytes", flag: s(maxBodyBytes), environment: "TRUC_MAX_BODY_BYTES", defaultText: "67108864"),
            Key(name: "operator-token", flag: operatorToken, environment: "TRUC_OPERATOR_TOKEN", defaultText: "none (no operator access)", secret: true),
            Key(name: "require-revocation", flag: requireRevocation ? "true" : nil, environment: "TRUC_REQUIRE_REVOCATION", defaultText: "false"),
            Key(name: "revocation", flag: revocation, environment: "TRUC_REVOCATION", defaultText: "prefer-ocsp"),
            Key(name: "revocation-unknown", flag: revocationUnknown, environment: "TRUC_REVOCATION_UNKNOWN", defaultText: "indeterminate"),
            Key(name: "revocation-freshness", flag: s(revocationFreshness), environment: nil, defaultText: "3600"),
            Key(name: "revocation-budget", flag: s(revocationBudget), environment: nil, defaultText: "3"),
            Key(name: "revocation-timeout", flag: s(revocationTimeout), environment: nil, defaultText: "10"),
            Key(name: "routes", flag: routes.isEmpty ? nil : routes.joined(separator: " "), environment: nil, defaultText: "none"),
            Key(name: "upstream", flag: upstream, environment: "TRUC_UPSTREAM", defaultText: "none"),
            Key(name: "retry-attempts", flag: s(retryAttempts), environment: nil, defaultText: "8"),
            Key(name: "retry-base", flag: s(retryBase), environment: nil, defaultText: "2"),
            Key(name: "retry-max", flag: s(retryMax), environment: nil, defaultText: "600"),
            Key(name: "vxp-prefix", flag: vxpPrefix, environment: "TRUC_VXP_PREFIX", defaultText: "/XrdAdapter/adapter"),
            Key(name: "vxp-http", flag: vxpHTTP, environment: "TRUC_VXP_HTTP", defaultText: "none"),
            Key(name: "vxp-http-writes", flag: vxpHTTPWrites ? "true" : nil, environment: "TRUC_VXP_HTTP_WRITES", defaultText: "false"),
            Key(name: "vxp-system", flag: vxpSystem, environment: "TRUC_VXP_SYSTEM", defaultText: "none"),
            Key(name: "vxp-secret-file", flag: vxpSecretFile, environment: "TRUC_VXP_SECRET_FILE", defaultText: "none"),
            Key(name: "vxp-poll", flag: s(vxpPoll), environment: nil, defaultText: "5"),
            Key(name: "log-format", flag: logFormat, environment: "TRUC_LOG_FORMAT", defaultText: "text"),
            Key(name: "min-free-disk", flag: s(minFreeDisk), environment: nil, defaultText: "268435456"),
            Key(name: "idle-timeout", flag: s(idleTimeout), environment: nil, defaultText: "30"),
            Key(name: "max-connections", flag: s(maxConnections), environment: nil, defaultText: "4096"),
            Key(name: "max-buffered-bytes", flag: s(maxBufferedBytes), environment: nil, defaultText: "268435456"),
            Key(name: "verify-queue", flag: s(verifyQueue), environment: nil, defaultText: "64"),
            Key(name: "work-budget", flag: s(workBudget), environment: nil, defaultText: "20"),
            Key(name: "refusal-retention-days", flag: s(refusalRetentionDays), environment: nil, defaultText: "90"),
        ]
    }

    /// Refuses a config file key that is not one of `keys`, naming it and the nearest known key.
    func refuseUnknownKeys(_ settings: Settings) throws {
        let known = keys.map(\.name)
        for key in settings.keys.sorted() where !known.contains(key) {
            let nearest = known.min { Self.distance(key, $0) < Self.distance(key, $1) }
            let hint = nearest.flatMap { Self.distance(key, $0) <= 3 ? " (did you mean \"\($0)\"?)" : nil } ?? ""
            throw CommandFailure(code: "config-unknown-key", message: "\(config ?? "the config file"): unknown key \"\(key)\"\(hint); the keys are the flag names: \(known.joined(separator: ", "))",
                                 exitCode: 2).report()
        }
    }

    /// The effective configuration, one key a line with where its value came from; secrets masked.
    func printConfiguration(_ settings: Settings) {
        let environment = ProcessInfo.processInfo.environment
        var lines = ["key\tvalue\tsource"]
        for key in keys {
            var value: String, source: String
            if let flag = key.flag {
                (value, source) = (flag, "flag --\(key.name)")
            } else if let name = key.environment, let env = environment[name] {
                (value, source) = (env, "environment \(name)")
            } else if settings.keys.contains(key.name) {
                (value, source) = (key.name == "routes" ? settings.strings(key.name).joined(separator: " ") : settings.string(key.name) ?? "",
                                   "config file \(config ?? "")")
            } else {
                (value, source) = (key.defaultText, "default")
            }
            if key.secret && source != "default" { value = "(set, not shown)" }
            lines.append("\(key.name)\t\(value)\t\(source)")
        }
        print(lines.joined(separator: "\n"))
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
