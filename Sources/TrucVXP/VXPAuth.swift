package import Foundation
import TrucCrypto

/// A refusal in the VXP dialect: a stable code (also the `ErrorCode` family) and a reason for `ErrorDesc`.
package struct VXPFailure: Error, Sendable, Equatable {
    /// A stable code such as `bad-signature`; the answer's `ErrorDesc` starts with it.
    package let code: String
    package let reason: String
    /// The numeric `ErrorCode` the answer carries (HTTP-like: 400, 401, 403, 404, 413, 422, 500).
    package let errorCode: Int

    package init(_ errorCode: Int, _ code: String, _ reason: String) {
        self.errorCode = errorCode
        self.code = code
        self.reason = reason
    }
}

/// The parameters of a request whose HMAC verified, by their exact-case names (without `XroadVnpt-`).
package struct VXPRequest: Sendable {
    package let systemId: String
    package let parameters: [String: String]

    package func parameter(_ name: String) -> String? {
        parameters[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The SDK's request authentication (vxp-wire.md §4): `XroadVnpt-hash-header` is the hex HMAC-SHA256,
/// keyed with the system's secret, of the literal `XroadVnpt-sign-header` text, a JSON object of the
/// signed parameters. The MAC is checked over the received text as it is; the parameters are then taken
/// from that verified JSON, and every parameter header the operation reads must carry the signed value.
package enum VXPAuth {
    package static let prefix = "XroadVnpt-"

    /// The three authentication headers of a request, before the secret is known.
    package struct Credentials: Sendable {
        package let systemId: String
        package let signHeader: String
        package let hashHeader: String

        package init(systemId: String, signHeader: String, hashHeader: String) {
            self.systemId = systemId
            self.signHeader = signHeader
            self.hashHeader = hashHeader
        }
    }

    /// - Parameter header: every value of a header, by case-insensitive name.
    package static func credentials(header: (String) -> [String]) throws(VXPFailure) -> Credentials {
        guard let systemId = header(prefix + "systemid").first, !systemId.isEmpty else {
            throw VXPFailure(401, "unauthenticated", "the XroadVnpt-systemid header is missing")
        }
        guard let sign = header(prefix + "sign-header").first, let hash = header(prefix + "hash-header").first else {
            throw VXPFailure(401, "unauthenticated", "the XroadVnpt-sign-header and XroadVnpt-hash-header headers are required")
        }
        return Credentials(systemId: systemId, signHeader: sign, hashHeader: hash)
    }

    /// Verifies the MAC and the headers the operation reads (`used`, exact-case parameter names).
    package static func verify(_ credentials: Credentials, secret: [UInt8], used: [String],
                               header: (String) -> [String]) throws(VXPFailure) -> VXPRequest {
        let expected = HMAC.sha256(key: secret, message: Array(credentials.signHeader.utf8))
        guard let received = hexBytes(credentials.hashHeader), HMAC.constantTimeEqual(expected, received) else {
            if credentials.signHeader.contains("\u{FFFD}") || credentials.signHeader.contains("?") {
                throw VXPFailure(401, "bad-signature", "the HMAC does not verify; header values with characters outside ASCII cannot be verified (the SDK sends them as '?' or as Latin-1 bytes), send codes and ids only")
            }
            throw VXPFailure(401, "bad-signature", "XroadVnpt-hash-header is not the HMAC-SHA256 of XroadVnpt-sign-header under this system's secret")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(credentials.signHeader.utf8)) as? [String: Any] else {
            throw VXPFailure(401, "bad-signature", "XroadVnpt-sign-header is not a JSON object")
        }
        var parameters: [String: String] = [:]
        for (key, value) in object where key.hasPrefix(prefix) {
            let name = String(key.dropFirst(prefix.count))
            switch value {
            case let s as String: parameters[name] = s
            case let n as NSNumber: parameters[name] = n.stringValue
            default: continue
            }
        }
        guard parameters["systemid"] == credentials.systemId else {
            throw VXPFailure(401, "bad-signature", "XroadVnpt-systemid is not the signed systemid")
        }
        for name in used {
            let sent = header(prefix + name)
            guard let signed = parameters[name] else {
                // A header of another case (docId/docid) is a different, possibly stale, parameter.
                if !sent.isEmpty && !parameters.keys.contains(where: { $0.lowercased() == name.lowercased() }) {
                    throw VXPFailure(401, "unsigned-parameter", "the header XroadVnpt-\(name) is not covered by XroadVnpt-sign-header")
                }
                continue
            }
            if !sent.isEmpty && !sent.contains(signed) {
                throw VXPFailure(401, "bad-signature", "the header XroadVnpt-\(name) differs from its signed value")
            }
        }
        return VXPRequest(systemId: credentials.systemId, parameters: parameters)
    }

    /// The headers a client sends: the parameters in order (systemid, timestamp and Content-Type should be
    /// among them), plus the key list, the signed JSON and its MAC.
    package static func sign(_ parameters: [(String, String)], secret: [UInt8]) -> [(String, String)] {
        let json = VXPJSON.signHeader(parameters)
        var headers = parameters.map { (prefix + $0.0, $0.1) }
        headers.append((prefix + "sign-header-key", parameters.map(\.0).joined(separator: ";")))
        headers.append((prefix + "sign-header", json))
        headers.append((prefix + "hash-header", HMAC.sha256(key: secret, message: Array(json.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()))
        return headers
    }

    /// The SDK's timestamp: `ddMMyyyy'T'HHmmss+SSSS` (local time, milliseconds after a literal `+`).
    package static func timestamp(_ date: Date, timeZone: TimeZone = TimeZone(secondsFromGMT: 7 * 3600)!) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        func pad(_ v: Int?, _ width: Int) -> String {
            let s = String(v ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(c.day, 2) + pad(c.month, 2) + pad(c.year, 4) + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2)
            + "+" + pad((c.nanosecond ?? 0) / 1_000_000, 4)
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        text.utf8.count == 64 ? [UInt8](hex: text) : nil
    }
}

/// `XroadVnpt-hash-file`: the SHA-256 of the body, which the SDK writes as hex without zero padding
/// (`0x06` → `6`); other clients send the usual 64 digits. Compared as strings.
package enum VXPHashFile {
    package static func sdkForm(_ digest: [UInt8]) -> String { digest.map { String($0, radix: 16) }.joined() }

    package static func paddedForm(_ digest: [UInt8]) -> String {
        digest.map { let h = String($0, radix: 16); return h.count == 1 ? "0" + h : h }.joined()
    }

    package static func matches(_ value: String, digest: [UInt8]) -> Bool {
        let v = value.lowercased()
        return v == sdkForm(digest) || v == paddedForm(digest)
    }
}
