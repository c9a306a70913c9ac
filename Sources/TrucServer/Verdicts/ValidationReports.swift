import EdXML
import Foundation
import HTTPTypes
import TrucCore
package import TrucSignatures
package import TrucStore
import TrucVocabulary

/// The validation report of a message the hub received, from the verdict stored at receipt: ETSI TS 119 102-2
/// XML signed with the hub's key, or Truc's JSON. Shared by the API and the dashboard.
package struct ValidationReports: Sendable {
    let signer: ReceiptSigner
    let hubCode: String

    package init(signer: ReceiptSigner, hubCode: String) {
        self.signer = signer
        self.hubCode = hubCode
    }

    /// The stored verdict, with its validation time (the receipt, for verdicts stored before it was recorded).
    func verdict(of message: StoredMessage) throws -> MessageVerdict {
        try verdict(json: message.verdictJSON, of: message.id, at: message.receivedAt)
    }

    func verdict(json: String, of what: String, at time: Int64) throws -> MessageVerdict {
        guard var verdict = try? JSONDecoder().decode(MessageVerdict.self, from: Data(json.utf8)) else {
            throw HubError(.verdictUnreadable, "the verdict stored for \(what) cannot be read")
        }
        verdict.validationTime = verdict.validationTime ?? CivilCalendar.isoUTC(time)
        return verdict
    }

    /// The hub-signed ETSI report of `message`.
    func xml(of message: StoredMessage) throws -> [UInt8] {
        try xml(try verdict(of: message), documentSHA256: message.sha256)
    }

    /// The hub-signed ETSI report of a verdict about the bytes whose SHA-256 is `documentSHA256`.
    func xml(_ verdict: MessageVerdict, documentSHA256: String) throws -> [UInt8] {
        let validator = ETSIReport.Validator(product: "Truc \(TrucVersion.string)", hub: hubCode, certificate: signer.certificate)
        do {
            return try signer.sign { signature in ETSIReport.xml(verdict, documentSHA256: documentSHA256, validator: validator, signature: signature) }
        } catch {
            throw HubError(.reportUnsigned, "the report cannot be signed: \(error)")
        }
    }
}
