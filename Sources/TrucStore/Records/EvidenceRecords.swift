/// A piece of validation data: a certificate, CRL, OCSP response or time-stamp token (DER).
package struct EvidenceRecord: Sendable, Equatable, Codable {
    package var sha256: String
    /// `certificate`, `crl`, `ocsp`, `timestamp`.
    package var kind: String
    package var der: [UInt8]
    package init(sha256: String, kind: String, der: [UInt8]) {
        self.sha256 = sha256
        self.kind = kind
        self.der = der
    }
}

/// A trust snapshot: its id (`sha256:<hex>`) and what it was computed from (JSON: the anchors' and intermediates'
/// DER, the policy lines), so that a verdict can be re-made, or its snapshot id recomputed, years later.
package struct TrustSnapshotRecord: Sendable, Equatable {
    package var id: String
    package var contents: [UInt8]
    package init(id: String, contents: [UInt8]) {
        self.id = id
        self.contents = contents
    }
}
