import EdXML
import Foundation
import Logging
import TrucCore
import TrucCrypto
package import TrucSignatures
import TrucStore
import HTTPTypes

/// What intake keeps of a verdict: its validation objects and its signers, as store records.
extension Intake {
    /// Every certificate, CRL, OCSP response and time-stamp token the verdict used, once each.
    static func evidence(of verdict: MessageVerdict) -> [EvidenceRecord] {
        var seen = Set<String>()
        var records: [EvidenceRecord] = []
        for object in verdict.signatures.flatMap(\.evidence) {
            let sha256 = object.sha256
            if seen.insert(sha256).inserted { records.append(EvidenceRecord(sha256: sha256, kind: object.kind.rawValue, der: object.der)) }
        }
        return records
    }

    /// The certificates that signed for the sender (valid, and not another organisation's seal), by kind.
    static func signers(of verdict: MessageVerdict) -> [Signer] {
        verdict.signatures.filter { $0.status == .valid && !$0.reasons.contains(where: \.isAttribution) }.compactMap { v in
            v.signer.map { Signer(kind: v.kind.rawValue, certificate: "\($0.issuer)|\($0.serial)") }
        }
    }
}
