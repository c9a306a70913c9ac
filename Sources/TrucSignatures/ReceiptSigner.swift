import Foundation
package import TrucCrypto
import TrucXML

/// What a delivery receipt states.
package struct DeliveryReceipt: Sendable, Equatable {
    package var hubCode: String
    package var messageId: String
    package var documentId: String?
    package var sender: String
    package var recipient: String
    /// ISO 8601, UTC.
    package var deliveredAt: String
    /// How the recipient took it: pull, push.
    package var how: String
    /// SHA-256 (hex) of the delivered bytes.
    package var sha256: String
    /// `delivered`, or `undeliverable` (a non-delivery receipt: no route reaches the recipient).
    package var outcome: String = "delivered"
    /// Why it is undeliverable.
    package var reason: String?
    /// A non-delivery receipt's recipients, each with its reason: one receipt lists every recipient of the
    /// message that no route reaches (`recipient` then holds their codes, separated by spaces).
    package var undeliverable: [Undeliverable] = []

    package struct Undeliverable: Sendable, Equatable {
        package var recipient: String
        package var reason: String
        package init(recipient: String, reason: String) {
            self.recipient = recipient
            self.reason = reason
        }
    }

    package init(hubCode: String, messageId: String, documentId: String?, sender: String, recipient: String, deliveredAt: String,
                 how: String, sha256: String) {
        self.hubCode = hubCode
        self.messageId = messageId
        self.documentId = documentId
        self.sender = sender
        self.recipient = recipient
        self.deliveredAt = deliveredAt
        self.how = how
        self.sha256 = sha256
    }
}

/// Writes delivery receipts signed by the hub: an enveloped XMLDSig signature (exclusive C14N, RSA-SHA256,
/// the hub's certificate in KeyInfo) over the whole receipt, so anyone can check it with `xmlsec1 --verify`
/// against the hub's CA — and with `truc verify`'s own XMLDSig code, which makes the same computation.
package final class ReceiptSigner: Sendable {
    package static let namespace = "urn:truc:delivery-receipt:1"
    private let key: PrivateKey
    private let certificates: [Certificate]

    package init(privateKeyPEM: [UInt8], certificateChainPEM: [UInt8]) throws {
        key = try PrivateKey(pem: privateKeyPEM)
        guard key.isRSA else { throw CryptoError("receipts are signed with an RSA key") }
        certificates = try Certificate.fromPEM(certificateChainPEM)
        guard let leaf = certificates.first, key.matches(leaf) else {
            throw CryptoError("the hub's private key is not the key of its certificate (the first of the chain)")
        }
    }

    package func sign(_ receipt: DeliveryReceipt) throws -> [UInt8] {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func document(digest: String, signature: String) -> String {
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Receipt xmlns="\(Self.namespace)">
            <Hub>\(esc(receipt.hubCode))</Hub>
            <MessageId>\(esc(receipt.messageId))</MessageId>
            <DocumentId>\(esc(receipt.documentId ?? ""))</DocumentId>
            <Sender>\(esc(receipt.sender))</Sender>
            <Recipient>\(esc(receipt.recipient))</Recipient>
            <DeliveredAt>\(esc(receipt.deliveredAt))</DeliveredAt>
            <How>\(esc(receipt.how))</How>
            <SHA256>\(esc(receipt.sha256))</SHA256>
            \(receipt.outcome == "delivered" ? "" : "<Outcome>\(esc(receipt.outcome))</Outcome>\n<Reason>\(esc(receipt.reason ?? ""))</Reason>\n")\
            \(receipt.undeliverable.map { "<Undeliverable><Recipient>\(esc($0.recipient))</Recipient><Reason>\(esc($0.reason))</Reason></Undeliverable>\n" }.joined())\
            \(signatureElement(digest: digest, signature: signature))
            </Receipt>

            """
        }
        return try envelopedSignature(document)
    }

    /// Any XML document signed the same way: `document(digest, signatureValue)` writes the document with the
    /// `ds:Signature` (whose XML `signatureElement` makes) as the last child of its root element.
    package func sign(_ document: (_ signature: String) -> String) throws -> [UInt8] {
        try envelopedSignature { digest, value in document(signatureElement(digest: digest, signature: value)) }
    }

    func signatureElement(digest: String, signature: String) -> String {
        let exc = "http://www.w3.org/2001/10/xml-exc-c14n#"
        let certificateElements = certificates.map { "<ds:X509Certificate>\(Data($0.der).base64EncodedString())</ds:X509Certificate>" }.joined()
        return """
        <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="\(exc)"/>\
        <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI=""><ds:Transforms>\
        <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="\(exc)"/></ds:Transforms>\
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>\(digest)</ds:DigestValue></ds:Reference>\
        </ds:SignedInfo><ds:SignatureValue>\(signature)</ds:SignatureValue><ds:KeyInfo><ds:X509Data>\(certificateElements)</ds:X509Data>\
        </ds:KeyInfo></ds:Signature>
        """
    }

    /// The certificate the hub signs with (the first of its chain).
    package var certificate: Certificate? { certificates.first }

    private func envelopedSignature(_ document: (_ digest: String, _ signature: String) -> String) throws -> [UInt8] {
        // 1. The digest of the document without its signature (enveloped transform, exclusive C14N).
        let unsigned = try XMLDocument.parse(Array(document("", "").utf8))
        guard let signatureElement = unsigned.root.children.last(where: { $0.localName == "Signature" }) else { throw CryptoError("the template has no signature") }
        let digest = Digest(.sha256)
        try unsigned.canonicalize(.exclusive(withComments: false, inclusivePrefixes: []), excluding: signatureElement) { digest.update($0) }
        let digestValue = Data(digest.finalize()).base64EncodedString()
        // 2. The signature over the canonical SignedInfo.
        let withDigest = try XMLDocument.parse(Array(document(digestValue, "").utf8))
        guard let signedInfo = withDigest.root.children.last(where: { $0.localName == "Signature" })?.children.first else {
            throw CryptoError("the template has no SignedInfo")
        }
        var canonical: [UInt8] = []
        try withDigest.canonicalize(.exclusive(withComments: false, inclusivePrefixes: []), subtree: signedInfo) { canonical.append(contentsOf: $0) }
        let signatureValue = Data(try key.sign(canonical, digest: .sha256)).base64EncodedString()
        return Array(document(digestValue, signatureValue).utf8)
    }
}

extension DeliveryReceipt {
    /// Reads a receipt another hub signed (hardened parsing; the fields only — its signature is for the
    /// sender to check, e.g. with `xmlsec1 --verify`). Nil when the bytes are not a Truc delivery receipt.
    package static func parse(_ bytes: [UInt8]) -> DeliveryReceipt? {
        guard let document = try? XMLDocument.parse(bytes), document.root.localName == "Receipt",
              document.root.namespaceURI == ReceiptSigner.namespace else { return nil }
        var fields: [String: String] = [:]
        var undeliverable: [DeliveryReceipt.Undeliverable] = []
        for child in document.root.children where child.namespaceURI == ReceiptSigner.namespace {
            if child.localName == "Undeliverable" {
                var item: [String: String] = [:]
                for part in child.children where part.namespaceURI == ReceiptSigner.namespace {
                    item[part.localName] = part.text.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                guard let code = item["Recipient"], !code.isEmpty else { return nil }
                undeliverable.append(.init(recipient: code, reason: item["Reason"] ?? ""))
                continue
            }
            fields[child.localName] = child.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let hub = fields["Hub"], let messageId = fields["MessageId"], let sender = fields["Sender"], let recipient = fields["Recipient"],
              let deliveredAt = fields["DeliveredAt"], let sha256 = fields["SHA256"], !hub.isEmpty, !sender.isEmpty, !recipient.isEmpty
        else { return nil }
        let documentId = fields["DocumentId"].flatMap { $0.isEmpty ? nil : $0 }
        var receipt = DeliveryReceipt(hubCode: hub, messageId: messageId, documentId: documentId, sender: sender, recipient: recipient,
                                      deliveredAt: deliveredAt, how: fields["How"] ?? "", sha256: sha256)
        receipt.outcome = fields["Outcome"].flatMap { $0.isEmpty ? nil : $0 } ?? "delivered"
        receipt.reason = fields["Reason"]
        receipt.undeliverable = undeliverable
        return receipt
    }
}

/// Checks a delivery receipt's signature: exactly the profile `ReceiptSigner` writes (one enveloped
/// signature over the whole receipt, exclusive C14N, RSA-SHA256, SHA-256, the signer's certificate first in
/// KeyInfo), the signer's chain against the trust store. Anything else is refused with a reason.
package enum ReceiptVerifier {
    package struct Verified: Sendable {
        package let receipt: DeliveryReceipt
        package let signer: Certificate
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    private static let dsig = "http://www.w3.org/2000/09/xmldsig#"
    private static let exc = "http://www.w3.org/2001/10/xml-exc-c14n#"

    package static func verify(_ bytes: [UInt8], trust: TrustStore, at time: Int64) -> Result<Verified, Failure> {
        func fail(_ text: String) -> Result<Verified, Failure> { .failure(Failure(description: text)) }
        guard let receipt = DeliveryReceipt.parse(bytes), let document = try? XMLDocument.parse(bytes) else {
            return fail("the body is not a Truc delivery receipt")
        }
        let signatures = document.root.children.filter { $0.localName == "Signature" && $0.namespaceURI == dsig }
        guard signatures.count == 1, let signature = signatures.first else { return fail("the receipt is not signed (one ds:Signature is required)") }
        func child(_ element: XMLElement, _ name: String) -> XMLElement? {
            element.children.first { $0.localName == name && $0.namespaceURI == dsig }
        }
        guard let signedInfo = child(signature, "SignedInfo"),
              child(signedInfo, "CanonicalizationMethod")?.attribute("Algorithm") == exc,
              child(signedInfo, "SignatureMethod")?.attribute("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" else {
            return fail("the receipt's SignedInfo is not exclusive C14N with RSA-SHA256")
        }
        let references = signedInfo.children.filter { $0.localName == "Reference" && $0.namespaceURI == dsig }
        guard references.count == 1, let reference = references.first, reference.attribute("URI") == "",
              let transforms = child(reference, "Transforms")?.children.map({ $0.attribute("Algorithm") ?? "" }),
              transforms == ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", exc],
              child(reference, "DigestMethod")?.attribute("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256",
              let digestText = child(reference, "DigestValue")?.text,
              let expected = Data(base64Encoded: digestText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return fail("the receipt's signature does not have the one reference to the whole receipt that Truc writes")
        }
        let digest = Digest(.sha256)
        do {
            try document.canonicalize(.exclusive(withComments: false, inclusivePrefixes: []), excluding: signature) { digest.update($0) }
        } catch {
            return fail("the receipt cannot be canonicalised")
        }
        guard Array(expected) == digest.finalize() else { return fail("the receipt was changed after it was signed (digest mismatch)") }
        var canonical: [UInt8] = []
        do {
            try document.canonicalize(.exclusive(withComments: false, inclusivePrefixes: []), subtree: signedInfo) { canonical.append(contentsOf: $0) }
        } catch {
            return fail("the receipt's SignedInfo cannot be canonicalised")
        }
        let certificates = (child(signature, "KeyInfo").flatMap { child($0, "X509Data") }?.children ?? [])
            .filter { $0.localName == "X509Certificate" }
            .compactMap { Data(base64Encoded: $0.text.filter { !$0.isWhitespace }) }
            .compactMap { try? Certificate(der: [UInt8]($0)) }
        guard let signer = certificates.first,
              let value = child(signature, "SignatureValue").flatMap({ Data(base64Encoded: $0.text.filter { !$0.isWhitespace }) }) else {
            return fail("the receipt's signature carries no certificate or no value")
        }
        let verified = canonical.withUnsafeBytes { signer.publicKey?.verify(signature: [UInt8](value), data: $0, digest: .sha256) == true }
        guard verified else { return fail("the receipt's signature value does not verify with its certificate") }
        // The hub signs receipts with its own (TLS) certificate: a hub's attestation, not a document signature.
        let chain = trust.verify(signer, untrusted: Array(certificates.dropFirst()), at: time, documentSigning: false)
        guard chain.problems.filter({ $0 != .keyUsage }).isEmpty else {
            return fail("the receipt's signer is not trusted: \(chain.detail ?? chain.problems.map(\.rawValue).joined(separator: ", "))")
        }
        return .success(Verified(receipt: receipt, signer: signer))
    }
}
