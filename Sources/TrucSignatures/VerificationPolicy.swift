/// What the verifier accepts.
package struct VerificationPolicy: Sendable {
    /// Refuse SHA-1 (rsa-sha1, sha1 digests, adbe.pkcs7.sha1) instead of accepting it with `weak-algorithm`.
    package var refuseWeakAlgorithms: Bool
    /// A signer whose issuer has no CRL in the trust directory is `indeterminate` (`revocation-unknown`).
    package var requireRevocationData: Bool
    /// Certificate-policy OIDs that classify a signer when its subject has no CCCD:/MST: style identifier.
    package var policyKinds: [String: SignerKind]
    /// Limits (secure validation).
    package var maxReferences: Int
    package var maxTransforms: Int
    package var maxSignaturesPerFile: Int

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
