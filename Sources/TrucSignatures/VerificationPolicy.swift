package import TrucCrypto

/// What a signature whose revocation cannot be decided becomes.
package enum RevocationUnknownAction: String, Sendable, CaseIterable, Codable {
    /// `indeterminate` (`revocation-unknown`): accepted by the hub, counted apart in the statistics.
    case indeterminate
    /// `invalid`: refused like a revoked signature.
    case invalid
    /// Taken as not revoked (the verdict still reports `revocation.status = unknown`).
    case accept
}

/// What the verifier accepts.
package struct VerificationPolicy: Sendable {
    /// Refuse SHA-1 (rsa-sha1, sha1 digests, adbe.pkcs7.sha1) instead of accepting it with `weak-algorithm`.
    package var refuseWeakAlgorithms: Bool
    /// A signer whose issuer has no CRL in the trust directory is `indeterminate` (`revocation-unknown`).
    package var requireRevocationData: Bool
    /// What happens when revocation sources exist but none answers (unreachable, stale, too slow).
    package var revocationUnknown: RevocationUnknownAction = .indeterminate
    /// How long one document's verification may wait for revocation answers from the network; past it
    /// the cache and the offline sources decide, or the answer is unknown.
    package var revocationBudget: Duration = .seconds(3)
    /// Certificate-policy OIDs that classify a signer when its subject has no CCCD:/MST: style identifier.
    package var policyKinds: [String: SignerKind]
    /// PDFs inside ZIP attachments larger than this are inflated into a mapped scratch file instead of next to
    /// their container (the page cache holds them, not the heap), and read by the same reader.
    package var streamPDFsAbove: Int = 4 << 20
    /// Limits (secure validation).
    package var maxReferences: Int
    package var maxTransforms: Int
    package var maxSignaturesPerFile: Int
    /// Envelope signatures per message (each may reference the whole envelope): more is refused as too complex.
    package var maxEnvelopeSignatures: Int = 8
    /// The extended key usages that allow a signer certificate carrying the extension to sign documents
    /// (`TrustStore.defaultSigningExtendedKeyUsages` unless the operator gives its own list).
    package var signingExtendedKeyUsages: Set<String> = TrustStore.defaultSigningExtendedKeyUsages
    /// When SHA-1, MD5 and short RSA keys stop being acceptable (`AlgorithmPolicy.standard` unless a file says).
    package var algorithms: AlgorithmPolicy = .standard
    /// Roles and required policies of the trust directory's anchors (`trust.json`).
    package var trustProfile = TrustProfile()

    package init(refuseWeakAlgorithms: Bool = false, requireRevocationData: Bool = false, policyKinds: [String: SignerKind] = [:],
                 maxReferences: Int = 30, maxTransforms: Int = 5, maxSignaturesPerFile: Int = 16) {
        self.refuseWeakAlgorithms = refuseWeakAlgorithms
        self.requireRevocationData = requireRevocationData
        self.policyKinds = policyKinds
        self.maxReferences = maxReferences
        self.maxTransforms = maxTransforms
        self.maxSignaturesPerFile = maxSignaturesPerFile
    }
}
