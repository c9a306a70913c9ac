import EdXML
import Foundation
package import TrucCrypto
import TrucVocabulary

/// The ETSI TS 119 102-2 V1.4.1 validation report of a message verdict: one `SignatureValidationReport` per
/// signature (identifier, validation time and best signature time, the document's digest, the signer, the
/// process, the EN 319 102-1 indication with the certification path, the revocation that decided it and the
/// algorithm), `SignatureValidationObjects` listing every certificate, CRL, OCSP response and time-stamp the
/// verdicts used (by SHA-256, each with the POE the validation gives it), and `SignatureValidator` naming Truc.
/// Pure: from the verdict (as stored at the hub, or just made by `truc verify`) to XML text.
package enum ETSIReport {
    package static let namespace = "http://uri.etsi.org/19102/v1.4.1#"
    static let ds = "http://www.w3.org/2000/09/xmldsig#"
    static let sha256URI = "http://www.w3.org/2001/04/xmlenc#sha256"

    package struct Validator: Sendable {
        /// `Truc 0.1.0`.
        package var product: String
        /// The hub that validated (its code), when a hub did.
        package var hub: String?
        /// The certificate the report is signed with (it names the validator), when it is signed.
        package var certificate: Certificate?
        package init(product: String, hub: String? = nil, certificate: Certificate? = nil) {
            self.product = product
            self.hub = hub
            self.certificate = certificate
        }
    }

    /// The report's XML. `documentSHA256` is the digest (hex) of the exact message bytes that were judged;
    /// `signature` is an enveloped `ds:Signature` to place last (empty for an unsigned report).
    package static func xml(_ verdict: MessageVerdict, documentSHA256: String, validator: Validator, signature: String = "") -> String {
        let validationTime = verdict.validationTime ?? isoUTC(Int64(Date().timeIntervalSince1970))
        var objects: [String: (type: String, sha256: String)] = [:]
        var order: [String] = []
        func object(_ prefix: String, _ type: String, _ sha256: String) -> String {
            let id = prefix + "-" + sha256.uppercased()
            if objects[id] == nil {
                objects[id] = (type, sha256)
                order.append(id)
            }
            return id
        }
        var body = ""
        for (index, signature) in verdict.signatures.enumerated() {
            body += report(signature, index: index, documentSHA256: documentSHA256, validationTime: validationTime, object: object)
        }
        if verdict.signatures.isEmpty {
            // The schema asks at least one SignatureValidationReport: a document without signature is reported as such.
            body += """
            <SignatureValidationReport><SignersDocument>\(digest(documentSHA256))</SignersDocument>\
            <SignatureValidationStatus><MainIndication>urn:etsi:019102:mainindication:indeterminate</MainIndication>\
            <SubIndication>urn:etsi:019102:subindication:SIGNED_DATA_NOT_FOUND</SubIndication></SignatureValidationStatus>\
            </SignatureValidationReport>

            """
        }
        var list = ""
        for id in order {
            guard let (type, sha256) = objects[id] else { continue }
            list += """
            <ValidationObject id="\(id)"><ObjectType>urn:etsi:019102:validationObject:\(type)</ObjectType>\
            <ValidationObjectRepresentation>\(digest(sha256))</ValidationObjectRepresentation>\
            <POE><POETime>\(validationTime)</POETime><TypeOfProof>urn:etsi:019102:poetype:validation</TypeOfProof></POE></ValidationObject>

            """
        }
        let identity = validator.certificate.map { "<tsl:X509Certificate>\(Data($0.der).base64EncodedString())</tsl:X509Certificate>" }
            ?? "<tsl:X509SubjectName>\(escape(validator.hub.map { "\(validator.product), hub \($0)" } ?? validator.product))</tsl:X509SubjectName>"
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <ValidationReport xmlns="\(namespace)" xmlns:ds="\(ds)" xmlns:tsl="http://uri.etsi.org/02231/v2#">
        \(body)\(list.isEmpty ? "" : "<SignatureValidationObjects>\n\(list)</SignatureValidationObjects>\n")\
        <SignatureValidator><DigitalId>\(identity)</DigitalId>\
        <OtherInformation><truc:Validator xmlns:truc="urn:truc:validation-report:1" product="\(escape(validator.product))"\
        \(validator.hub.map { " hub=\"\(escape($0))\"" } ?? "")\(verdict.trustSnapshot.map { " trustSnapshot=\"\(escape($0))\"" } ?? "")/>\
        </OtherInformation></SignatureValidator>
        \(signature)</ValidationReport>

        """
    }

    static func report(_ s: SignatureVerdict, index: Int, documentSHA256: String, validationTime: String,
                       object: (String, String, String) -> String) -> String {
        let etsi = s.etsi ?? ETSIIndications.judge(s, validationTime: CivilCalendar.parseISOUTC(validationTime) ?? 0)
        let objects = s.objects ?? ValidationObjectsReport(chain: s.signer?.sha256.map { [$0] } ?? [])
        let chain = objects.chain.map { object("C", "certificate", $0) }
        let timestamps = objects.timestamps.map { (kind: $0.kind, id: object("T", "timestamp", $0.sha256), time: $0.time ?? validationTime) }
        var revocationIds: [String: String] = [:]
        for use in objects.revocation {
            revocationIds[use.certificate] = object("R", use.kind == "ocsp" ? "OCSPResponse" : "CRL", use.sha256)
        }
        let best = etsi.bestSignatureTime
        let proving = timestamps.first { best.proof == ($0.kind == "document" ? "document-time-stamp" : "signature-time-stamp") }
        let poeObject = proving.map { "<POEObject VOReference=\"\($0.id)\"/>" } ?? ""
        var attributes = ""
        if let time = s.signingTime { attributes += "<SigningTime Signed=\"true\"><Time>\(time)</Time></SigningTime>" }
        if let signer = chain.first { attributes += "<SigningCertificate Signed=\"true\"><AttributeObject VOReference=\"\(signer)\"/></SigningCertificate>" }
        for stamp in timestamps {
            let element = stamp.kind == "document" ? "DocTimeStamp" : "SignatureTimeStamp"
            attributes += "<\(element)><AttributeObject VOReference=\"\(stamp.id)\"/><TimeStampValue>\(stamp.time)</TimeStampValue></\(element)>"
        }
        var chainXML = ""
        if let first = chain.first {
            let anchor = s.anchor != nil && chain.count >= 2 ? chain.last : nil
            let intermediates = chain.dropFirst().dropLast(anchor == nil ? 0 : 1)
            chainXML = "<CertificateChain><SigningCertificate VOReference=\"\(first)\"/>"
                + intermediates.map { "<IntermediateCertificate VOReference=\"\($0)\"/>" }.joined()
                + (anchor.map { "<TrustAnchor VOReference=\"\($0)\"/>" } ?? "") + "</CertificateChain>"
            if let anchor { chainXML = "<TrustAnchor VOReference=\"\(anchor)\"/>" + chainXML }
        }
        var revocationXML = ""
        if let revocation = s.revocation, revocation.status == "revoked", let signer = chain.first, let at = revocation.revokedAt {
            revocationXML = "<RevocationStatusInformation><ValidationObjectId VOReference=\"\(signer)\"/><RevocationTime>\(at)</RevocationTime>"
                + (revocation.reason.map { "<RevocationReason>urn:etsi:019102:revocationReason:\(escape($0))</RevocationReason>" } ?? "")
                + (objects.chain.first.flatMap { revocationIds[$0] }.map { "<RevocationObject VOReference=\"\($0)\"/>" } ?? "")
                + "</RevocationStatusInformation>"
        }
        let related = Set(revocationIds.values).sorted().map { "<RelatedValidationObject VOReference=\"\($0)\"/>" }.joined()
        let signatureId = "S-\(index + 1)-\(documentSHA256.prefix(16).uppercased())"
        let crypto = s.algorithm.map { algorithm in
            "<CryptoInformation><ValidationObjectId VOReference=\"\(chain.first ?? signatureId)\"/><Algorithm>\(escape(algorithmURI(algorithm)))</Algorithm>"
                + "<SecureAlgorithm>\(s.reasons.contains(.weakAlgorithm) ? "false" : "true")</SecureAlgorithm></CryptoInformation>"
        } ?? ""
        let truc = "<AdditionalValidationReportData><ReportData><Type>urn:truc:verdict</Type><Value>"
            + "<truc:Verdict xmlns:truc=\"urn:truc:validation-report:1\" status=\"\(s.status.rawValue)\" location=\"\(escape(s.location))\" kind=\"\(s.kind.rawValue)\""
            + (s.reasons.isEmpty ? "" : " reasons=\"\(escape(s.reasons.map(\.rawValue).joined(separator: " ")))\"")
            + ">\(escape(s.detail ?? ""))</truc:Verdict></Value></ReportData></AdditionalValidationReportData>"
        let process = etsi.level.map { $0.hasSuffix("LTA") ? "LTA" : $0.hasSuffix("-T") || $0.hasSuffix("LT") ? "LTVM" : "Basic" } ?? "Basic"
        return """
        <SignatureValidationReport>\
        <SignatureIdentifier id="\(signatureId)"><HashOnly>false</HashOnly><DocHashOnly>false</DocHashOnly>\
        <DAIdentifier>\(escape(s.location))</DAIdentifier></SignatureIdentifier>\
        <ValidationTimeInfo><ValidationTime>\(validationTime)</ValidationTime><BestSignatureTime><POETime>\(best.time)</POETime>\
        <TypeOfProof>urn:etsi:019102:poetype:validation</TypeOfProof>\(poeObject)</BestSignatureTime></ValidationTimeInfo>\
        <SignersDocument>\(digest(documentSHA256))</SignersDocument>\
        \(attributes.isEmpty ? "" : "<SignatureAttributes>\(attributes)</SignatureAttributes>")\
        \(chain.first.map { "<SignerInformation><SignerCertificate VOReference=\"\($0)\"/>" + (s.signer.map { "<Signer>\(escape($0.commonName ?? $0.subject))</Signer>" } ?? "") + "</SignerInformation>" } ?? "")\
        <SignatureValidationProcess><SignatureValidationProcessID>urn:etsi:019102:validationprocess:\(process)</SignatureValidationProcessID></SignatureValidationProcess>\
        <SignatureValidationStatus><MainIndication>urn:etsi:019102:mainindication:\(etsi.indication.lowercased())</MainIndication>\
        \(etsi.subIndication.map { "<SubIndication>urn:etsi:019102:subindication:\($0)</SubIndication>" } ?? "")\
        <AssociatedValidationReportData>\(chainXML)\(related)\(revocationXML)\(crypto)\(truc)</AssociatedValidationReportData>\
        </SignatureValidationStatus></SignatureValidationReport>

        """
    }

    static func digest(_ sha256Hex: String) -> String {
        "<DigestAlgAndValue><ds:DigestMethod Algorithm=\"\(sha256URI)\"/><ds:DigestValue>\(Data([UInt8](hex: sha256Hex) ?? []).base64EncodedString())</ds:DigestValue></DigestAlgAndValue>"
    }

    /// The XML Signature URI of a verdict's algorithm name.
    static func algorithmURI(_ name: String) -> String {
        switch name {
        case "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
        case "rsa-sha224", "rsa-sha256", "rsa-sha384", "rsa-sha512", "ecdsa-sha1", "ecdsa-sha224", "ecdsa-sha256", "ecdsa-sha384", "ecdsa-sha512":
            "http://www.w3.org/2001/04/xmldsig-more#" + name
        case "rsa-pss-sha256", "rsa-pss-sha384", "rsa-pss-sha512":
            "http://www.w3.org/2007/05/xmldsig-more#" + name.dropFirst(8) + "-rsa-MGF1"
        default: "urn:truc:algorithm:" + name
        }
    }

    /// Attribute- and text-safe: the shared markup escaping, after dropping the control characters XML 1.0 cannot
    /// carry at all (a certificate's subject is the signer's text).
    static func escape(_ s: String) -> String {
        MarkupEscape.attribute(String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\t" || $0 == "\r" })))
    }
}
