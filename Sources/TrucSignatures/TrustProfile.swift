import Foundation
package import TrucCrypto

/// What an operator says about the anchors of a trust directory (`trust.json` beside them): each anchor's role
/// (`public` for the National Root CA's PKI, `government` for Ban Cơ yếu's, or any label) and, when required,
/// the certificate policies a signer under it must carry (the government PKI's 2.16.704.1.1.1.1.1…). The role
/// is reported in each verdict's `anchor`; a signer without a required policy is `untrusted-chain`.
///
///     {"anchors": [{"sha256": "<hex of the anchor certificate>", "role": "government", "policies": ["2.16.704.1.1.1.1.1"]}]}
package struct TrustProfile: Sendable, Equatable, Codable {
    package struct Anchor: Sendable, Equatable, Codable {
        package var sha256: String
        package var role: String
        package var policies: [String]?
    }

    package var anchors: [Anchor]

    package init(anchors: [Anchor] = []) { self.anchors = anchors }

    package static let fileName = "trust.json"

    /// The profile of `directory` (none when it has no `trust.json`); every anchor it names must be one of the
    /// directory's (a profile about a missing anchor is refused, so a typo cannot silently drop a rule).
    package static func load(directory: String, anchors: [Certificate]) throws -> TrustProfile {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { return TrustProfile() }
        let profile: TrustProfile
        do {
            profile = try JSONDecoder().decode(TrustProfile.self, from: data)
        } catch {
            throw TrustProfileError("\(path) is not {\"anchors\": [{\"sha256\", \"role\", \"policies\"?}]}: \(error)")
        }
        let present = Set(anchors.map { $0.sha256 })
        for anchor in profile.anchors where !present.contains(anchor.sha256.lowercased()) {
            throw TrustProfileError("\(path) names the anchor \(anchor.sha256.prefix(64)), which is not a self-signed certificate of the directory")
        }
        return TrustProfile(anchors: profile.anchors.map { Anchor(sha256: $0.sha256.lowercased(), role: $0.role, policies: $0.policies) })
    }

    package func anchor(_ sha256: String) -> Anchor? { anchors.first { $0.sha256 == sha256 } }

    /// The profile as lines, for the trust snapshot id.
    var lines: [String] {
        anchors.map { "anchor \($0.sha256) \($0.role) \(($0.policies ?? []).sorted().joined(separator: ","))" }.sorted()
    }
}

package struct TrustProfileError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
