import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Why a certificate chain is not acceptable.
package enum ChainProblem: String, Sendable, Equatable {
    /// No path to a trust anchor (unknown issuer, bad certificate signature, self-signed unknown root).
    case untrusted = "untrusted-chain"
    case revoked
    /// Outside its validity period at the verification time.
    case expired
    /// The signer's key usage does not allow signing.
    case keyUsage = "key-usage"
    /// Revocation could not be decided (no CRL for an issuer while the policy requires one, a stale CRL).
    case revocationUnknown = "revocation-unknown"
}

/// The outcome of checking a signer certificate against the trust store.
package struct ChainResult: Sendable {
    package let problems: [ChainProblem]
    /// OpenSSL's message for the first problem, for the operator.
    package let detail: String?
    /// The chain OpenSSL built, the certificate first and the anchor last (partial when no path was found).
    package var chain: [Certificate] = []
    package var isValid: Bool { problems.isEmpty }

    package init(problems: [ChainProblem], detail: String?, chain: [Certificate] = []) {
        self.problems = problems
        self.detail = detail
        self.chain = chain
    }
}

/// Trust anchors, intermediates and CRLs loaded from a directory, and chain checks against them with OpenSSL
/// (`X509_STORE` + `X509_verify_cert`). Shared read-only across threads after loading (OpenSSL allows
/// concurrent verification against one store), hence `@unchecked Sendable`; reload by making a new one.
package final class TrustStore: @unchecked Sendable {
    let store: OpaquePointer
    package let anchors: [Certificate]
    package let intermediates: [Certificate]
    /// The CRLs of the directory: checked by OpenSSL in `verify`, an offline revocation source for document
    /// signatures, and their nextUpdate feeds the expiry alerts.
    package let crls: [CRL]
    /// When true, a certificate whose issuer has no CRL in the store is `revocation-unknown`.
    package let requireRevocationData: Bool
    /// The extended key usages that allow signing documents, when a signer certificate has the extension
    /// (RFC 5280 §4.2.1.12: present, it restricts the key to its purposes).
    package let signingExtendedKeyUsages: Set<String>
    /// SHA-256 over the sorted SHA-256s of the anchors and intermediates: which certificates a verdict was
    /// judged against (CRLs are revocation data, reported per signature).
    package let certificatesDigest: String

    /// anyExtendedKeyUsage, emailProtection (the "secure email" purpose Vietnamese CAs put in personal and
    /// organisation certificates), Microsoft's document signing, id-kp-documentSigning (RFC 9336), Adobe's
    /// Authentic Documents Trust.
    package static let defaultSigningExtendedKeyUsages: Set<String> = [
        "2.5.29.37.0", "1.3.6.1.5.5.7.3.4", "1.3.6.1.4.1.311.10.3.12", "1.3.6.1.5.5.7.3.36", "1.2.840.113583.1.1.5",
    ]
    /// Names of the usual purposes, for messages.
    static let purposeNames = ["1.3.6.1.5.5.7.3.1": "serverAuth", "1.3.6.1.5.5.7.3.2": "clientAuth", "1.3.6.1.5.5.7.3.3": "codeSigning",
                               "1.3.6.1.5.5.7.3.4": "emailProtection", "1.3.6.1.5.5.7.3.8": "timeStamping", "1.3.6.1.5.5.7.3.9": "OCSPSigning",
                               "2.5.29.37.0": "anyExtendedKeyUsage", "1.3.6.1.5.5.7.3.36": "documentSigning"]

    /// Loads `*.pem`/`*.crt`/`*.cer` certificates (self-signed ones are anchors, others intermediates) and
    /// `*.crl`/`*.crl.pem` CRLs (PEM or DER) from `directory`.
    package convenience init(directory: String, requireRevocationData: Bool = false,
                             signingExtendedKeyUsages: Set<String> = TrustStore.defaultSigningExtendedKeyUsages) throws(CryptoError) {
        guard let dir = opendir(directory) else { throw CryptoError("cannot open the trust directory \(directory)") }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if !name.hasPrefix(".") { names.append(name) }
        }
        closedir(dir)
        var certificates: [Certificate] = []
        var crls: [[UInt8]] = []
        for name in names.sorted() {
            let path = directory + "/" + name
            let lower = name.lowercased()
            if lower.hasSuffix(".crl") || lower.hasSuffix(".crl.pem") {
                crls.append(try readFile(path))
            } else if lower.hasSuffix(".pem") || lower.hasSuffix(".crt") || lower.hasSuffix(".cer") {
                let bytes = try readFile(path)
                if let pem = try? Certificate.fromPEM(bytes) {
                    certificates += pem
                } else {
                    certificates.append(try Certificate(der: bytes))
                }
            }
        }
        try self.init(certificates: certificates, crls: crls, requireRevocationData: requireRevocationData,
                      signingExtendedKeyUsages: signingExtendedKeyUsages)
    }

    /// Builds a store from certificates and CRLs (each CRL PEM or DER).
    package init(certificates: [Certificate], crls: [[UInt8]], requireRevocationData: Bool = false,
                 signingExtendedKeyUsages: Set<String> = TrustStore.defaultSigningExtendedKeyUsages) throws(CryptoError) {
        guard let store = X509_STORE_new() else { throw CryptoError("cannot allocate an X509_STORE") }
        self.store = store
        self.requireRevocationData = requireRevocationData
        self.signingExtendedKeyUsages = signingExtendedKeyUsages
        var anchors: [Certificate] = [], intermediates: [Certificate] = []
        var list: [CRL] = []
        for c in certificates {
            if c.isSelfSigned { anchors.append(c) } else { intermediates.append(c) }
            X509_STORE_add_cert(store, c.x509) // the store takes its own reference
        }
        clearOpenSSLErrors() // duplicates are reported as errors; they are harmless
        for bytes in crls {
            let crl: CRL
            do { crl = try CRL(bytes: bytes) } catch { throw CryptoError.openssl("a CRL in the trust directory cannot be read") }
            X509_STORE_add_crl(store, crl.crl)
            list.append(crl)
        }
        clearOpenSSLErrors()
        self.anchors = anchors
        self.intermediates = intermediates
        self.crls = list
        let lines = (anchors.map { "anchor " + $0.sha256 } + intermediates.map { "intermediate " + $0.sha256 }).sorted()
        self.certificatesDigest = Digest.sha256(Array(lines.joined(separator: "\n").utf8)).hexString
        if anchors.isEmpty { throw CryptoError("the trust store has no self-signed anchor") }
    }

    deinit { X509_STORE_free(store) }

    /// Checks `certificate` at `time` (seconds since 1970): a chain to an anchor through the store's
    /// intermediates and `untrusted` (certificates carried in the signature), validity, CRL revocation
    /// wherever the issuer's CRL is present, and document-signing key usage.
    /// - Parameter documentSigning: check the key usage and extended key usage for signing documents (false
    ///   for a TLS client certificate, or the hub's own certificate that signs its receipts).
    package func verify(_ certificate: Certificate, untrusted: [Certificate] = [], at time: Int64, documentSigning: Bool = true) -> ChainResult {
        check(certificate, untrusted: untrusted, at: time, revocation: true, documentSigning: documentSigning)
    }

    /// Checks the path only — a chain to an anchor, validity at `time`, key usage — and returns the chain,
    /// leaving revocation to the caller (document signatures decide it from OCSP, fetched and embedded
    /// CRLs, and time-stamps).
    package func path(_ certificate: Certificate, untrusted: [Certificate] = [], at time: Int64, documentSigning: Bool = true) -> ChainResult {
        check(certificate, untrusted: untrusted, at: time, revocation: false, documentSigning: documentSigning)
    }

    /// Path building (RFC 4158, bounded): a self-signed certificate a signature carries is never an anchor (only
    /// the store's are), so it is left out; and when the chain OpenSSL built from the first matching issuer
    /// does not reach an anchor, each other candidate issuer of the same name is tried in its place — a
    /// cross-certified CA is carried both as issued by an untrusted root and as issued by a trusted one.
    private func check(_ certificate: Certificate, untrusted: [Certificate], at time: Int64, revocation: Bool, documentSigning: Bool = true) -> ChainResult {
        let candidates = untrusted.filter { $0 != certificate && !$0.isSelfSigned }
        let first = attempt(certificate, untrusted: candidates, at: time, revocation: revocation, documentSigning: documentSigning)
        guard first.problems.contains(.untrusted) else { return first }
        let bySubject = Dictionary(grouping: candidates, by: \.subject).filter { $0.value.count > 1 }
        var tried = 0
        for (subject, group) in bySubject.sorted(by: { $0.key < $1.key }) {
            for chosen in group {
                tried += 1
                guard tried <= Self.maxAlternativePaths else { return first }
                let alternative = candidates.filter { $0.subject != subject || $0 == chosen }
                let result = attempt(certificate, untrusted: alternative, at: time, revocation: revocation, documentSigning: documentSigning)
                if !result.problems.contains(.untrusted) { return result }
            }
        }
        return first
    }

    /// Alternative issuer choices tried at most, per certificate checked.
    static let maxAlternativePaths = 16

    private func attempt(_ certificate: Certificate, untrusted: [Certificate], at time: Int64, revocation: Bool, documentSigning: Bool) -> ChainResult {
        guard let ctx = X509_STORE_CTX_new() else { return ChainResult(problems: [.untrusted], detail: "cannot allocate a context") }
        defer {
            X509_STORE_CTX_free(ctx)
            clearOpenSSLErrors()
        }
        let chain = truc_sk_X509_new_null()
        defer { truc_sk_X509_free(chain) }
        for c in untrusted where c != certificate { truc_sk_X509_push(chain, c.x509) }
        guard X509_STORE_CTX_init(ctx, store, certificate.x509, chain) == 1 else {
            return ChainResult(problems: [.untrusted], detail: "cannot initialise the verification")
        }
        X509_STORE_CTX_set_time(ctx, 0, time_t(time))
        if revocation { X509_STORE_CTX_set_flags(ctx, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)) }
        let state = VerifyState()
        let unmanaged = Unmanaged.passRetained(state)
        defer { unmanaged.release() }
        X509_STORE_CTX_set_ex_data(ctx, 0, unmanaged.toOpaque())
        X509_STORE_CTX_set_verify_cb(ctx, verifyCallback)

        // The callback records every error and lets verification go on, so that a definite problem
        // (revoked, expired, untrusted) is not hidden behind a stale CRL found first.
        let ok = X509_verify_cert(ctx) == 1
        var errors = state.errors
        if !ok, errors.isEmpty { errors.append(X509_STORE_CTX_get_error(ctx)) }
        errors.removeAll { $0 == X509_V_ERR_UNABLE_TO_GET_CRL && !requireRevocationData }
        var problems: [ChainProblem] = []
        for problem in errors.map(TrustStore.problem(for:)) where !problems.contains(problem) { problems.append(problem) }
        if problems.contains(where: { $0 != .revocationUnknown }) { problems.removeAll { $0 == .revocationUnknown } }
        problems.sort { TrustStore.severity($0) < TrustStore.severity($1) }
        var detail = errors.first.map { String(cString: X509_verify_cert_error_string(Int($0))) }
        if problems == [.revocationUnknown], errors.contains(X509_V_ERR_UNABLE_TO_GET_CRL) {
            detail = "no CRL for an issuer in the chain, and the policy requires revocation data"
        }
        if documentSigning, !certificate.allowsDocumentSigning {
            problems.append(.keyUsage)
            detail = detail ?? "the key usage allows neither digitalSignature nor nonRepudiation"
        }
        if documentSigning, let purposes = certificate.extendedKeyUsageOIDs, !purposes.contains(where: signingExtendedKeyUsages.contains) {
            if !problems.contains(.keyUsage) { problems.append(.keyUsage) }
            let named = purposes.map { Self.purposeNames[$0] ?? $0 }.joined(separator: ", ")
            detail = detail ?? "the extended key usage (\(named)) does not allow signing documents"
        }
        var path: [Certificate] = []
        if let built = X509_STORE_CTX_get1_chain(ctx) {
            // get1: each element carries a reference of its own, which the Certificate takes over.
            for i in 0..<truc_sk_X509_num(built) { if let x = truc_sk_X509_value(built, i) { path.append(Certificate(taking: x)) } }
            truc_sk_X509_free(built)
        }
        return ChainResult(problems: problems, detail: detail, chain: path)
    }

    static func severity(_ p: ChainProblem) -> Int {
        switch p {
        case .revoked: 0
        case .expired: 1
        case .untrusted: 2
        case .keyUsage: 3
        case .revocationUnknown: 4
        }
    }

    static func problem(for error: Int32) -> ChainProblem {
        switch error {
        case X509_V_ERR_CERT_REVOKED: .revoked
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID: .expired
        case X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_UNABLE_TO_GET_CRL,
             X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER: .revocationUnknown
        default: .untrusted
        }
    }
}

/// Per-verification state reached from the verify callback through the context's ex_data slot 0.
private final class VerifyState {
    var errors: [Int32] = []
}

/// Records each error and continues, so that all problems of a chain are known (the verdict is built from
/// them afterwards; a missing CRL counts only under the "require revocation data" policy).
private let verifyCallback: X509_STORE_CTX_verify_cb = { ok, ctx in
    guard ok == 0, let ctx, let raw = X509_STORE_CTX_get_ex_data(ctx, 0) else { return ok }
    let state = Unmanaged<VerifyState>.fromOpaque(raw).takeUnretainedValue()
    let error = X509_STORE_CTX_get_error(ctx)
    if !state.errors.contains(error) { state.errors.append(error) }
    return state.errors.count > 16 ? 0 : 1
}

func readFile(_ path: String) throws(CryptoError) -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw CryptoError("cannot read \(path)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buffer[0..<n])
        if bytes.count > 64 << 20 { throw CryptoError("\(path) is too large for a certificate or CRL") }
    }
    return bytes
}

