import EdXML
import Foundation
import TrucCore
import TrucCrypto
import TrucVocabulary

/// When an algorithm stops being acceptable for signatures: a dated policy, as ETSI TS 119 312 and the EU DSS
/// library's cryptographic constraints are. An algorithm is acceptable for a signature only when the signature
/// is proven to exist before the algorithm's sunset (by a time-stamp, else by the time of verification — for a
/// hub, when it received the document). Without such proof the signature is `indeterminate` with
/// `weak-algorithm` (EN 319 102-1: CRYPTO_CONSTRAINTS_FAILURE_NO_POE), or `invalid` when the operator refuses
/// SHA-1 outright (`--refuse-sha1`).
package struct AlgorithmPolicy: Sendable, Equatable, Codable {
    package struct Rule: Sendable, Equatable, Codable {
        /// `sha1`, `md5` (as a signature's digest or a certificate's signature hash), `rsa-below-2048` (an RSA
        /// key shorter than 2,048 bits: the signer's or a CA's).
        package var algorithm: String
        /// yyyy-MM-dd (UTC): from this day on the algorithm proves nothing new.
        package var sunset: String
        /// Where the date comes from.
        package var source: String

        package init(algorithm: String, sunset: String, source: String) {
            self.algorithm = algorithm
            self.sunset = sunset
            self.source = source
        }
    }

    package var rules: [Rule]

    package init(rules: [Rule]) { self.rules = rules }

    /// The shipped policy. NIST SP 800-131A (Rev. 1, 2015; Rev. 2, 2019) disallows SHA-1 and RSA keys shorter
    /// than 2,048 bits for generating digital signatures after 2013 (Tables 1 and 8); MD5 was broken for
    /// signatures by 2008 (the rogue-CA attack, Sotirov et al., 2008). An operator whose documents follow
    /// another regulation states its own dates in a file (`--algorithm-policy`).
    package static let standard = AlgorithmPolicy(rules: [
        Rule(algorithm: "sha1", sunset: "2014-01-01", source: "NIST SP 800-131A: SHA-1 disallowed for signature generation after 2013"),
        Rule(algorithm: "rsa-below-2048", sunset: "2014-01-01", source: "NIST SP 800-131A: RSA keys under 2048 bits disallowed for signature generation after 2013"),
        Rule(algorithm: "md5", sunset: "2009-01-01", source: "MD5 collisions forged a CA certificate in 2008 (Sotirov et al.)"),
    ])

    /// Reads a policy file: `{"rules": [{"algorithm", "sunset": "yyyy-MM-dd", "source"}, …]}`.
    package static func read(_ bytes: [UInt8]) throws -> AlgorithmPolicy {
        let policy: AlgorithmPolicy
        do {
            policy = try JSONDecoder().decode(AlgorithmPolicy.self, from: Data(bytes))
        } catch {
            throw AlgorithmPolicyError("the algorithm policy is not {\"rules\": [{\"algorithm\", \"sunset\": \"yyyy-MM-dd\", \"source\"}]}: \(error)")
        }
        for rule in policy.rules {
            guard ["sha1", "md5", "rsa-below-2048"].contains(rule.algorithm) else {
                throw AlgorithmPolicyError("unknown algorithm \(rule.algorithm.prefix(40)): the rules name sha1, md5 or rsa-below-2048")
            }
            guard rule.sunsetEpoch != nil else { throw AlgorithmPolicyError("the sunset of \(rule.algorithm), \(rule.sunset.prefix(40)), is not a yyyy-MM-dd day") }
        }
        return policy
    }

    /// One use of an algorithm by a signature: what, and where (for the detail).
    struct Use: Equatable {
        let algorithm: String
        let place: String
    }

    /// The uses of algorithms in a signature's path: each certificate's signature hash (the anchor's own is
    /// the operator's choice) and each RSA key, the signer's included.
    static func uses(in chain: [Certificate]) -> [Use] {
        var uses: [Use] = []
        for (index, certificate) in chain.enumerated() {
            let isAnchor = index == chain.count - 1 && chain.count > 1
            let who = index == 0 ? "the signer certificate" : "the CA certificate \(certificate.subject)"
            if !isAnchor, let hash = certificate.signatureHash, hash == "sha1" || hash == "md5" {
                uses.append(Use(algorithm: hash, place: "\(who) is signed with \(hash)"))
            }
            if !isAnchor, let key = certificate.publicKey, key.isRSA, key.bits < 2048 {
                uses.append(Use(algorithm: "rsa-below-2048", place: "\(who) has a \(key.bits)-bit RSA key"))
            }
        }
        return uses
    }

    /// Judges `uses` for a signature proven to exist at `provenAt`: the uses past their sunset (the reasons'
    /// detail), and notes for those accepted because the proof is earlier.
    func judge(_ uses: [Use], provenAt: Int64) -> (failing: [String], notes: [String]) {
        var failing: [String] = [], notes: [String] = []
        for use in uses {
            guard let rule = rules.first(where: { $0.algorithm == use.algorithm }), let sunset = rule.sunsetEpoch else { continue }
            if provenAt < sunset {
                notes.append("\(use.place), accepted: the signature is proven to exist at \(CivilCalendar.isoUTC(provenAt)), before \(use.algorithm)'s sunset \(rule.sunset) (\(rule.source))")
            } else {
                failing.append("\(use.place), not acceptable from \(rule.sunset) (\(rule.source)), and nothing proves the signature existed before")
            }
        }
        return (failing, notes)
    }

    /// The policy as lines, for the trust snapshot id.
    var lines: [String] { rules.map { "algorithm \($0.algorithm) \($0.sunset)" }.sorted() }
}

extension AlgorithmPolicy.Rule {
    /// The sunset day at 00:00 UTC, seconds since 1970 (nil when it is not a yyyy-MM-dd day).
    var sunsetEpoch: Int64? { CalendarDay(sunset).map { Int64($0.daysSinceEpoch) * 86_400 } }
}

/// A policy file that cannot be used.
package struct AlgorithmPolicyError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
