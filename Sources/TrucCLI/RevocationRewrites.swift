import ArgumentParser
import Foundation

/// `--revocation-rewrite FROM=TO,…`: OCSP/CRL URL prefixes rewritten before fetching (addresses that resolve
/// only inside government networks, `http://ocsp.ca.ptc`, mapped to one the hub reaches). Both sides are
/// http(s) URL prefixes with a host.
enum RevocationRewrites {
    static func parse(_ text: String) throws -> [(from: String, to: String)] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts.allSatisfy(isPrefix) else {
                throw ValidationError("--revocation-rewrite: \(pair.prefix(200)) is not FROM=TO with two http(s) URL prefixes (http://ocsp.ca.ptc=http://10.0.0.5:8080)")
            }
            return (parts[0], parts[1])
        }
    }

    static func isPrefix(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else { return false }
        return !text.contains(where: \.isWhitespace)
    }
}
