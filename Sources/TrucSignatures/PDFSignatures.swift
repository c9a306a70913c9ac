import TrucCrypto
#if canImport(Glibc)
import Glibc
#endif

/// One signature dictionary found in a PDF: its byte range and the CMS bytes in the range's hole.
struct PDFSignatureField {
    let byteRange: [Int]
    let contents: [UInt8]?
    let subFilter: String?
    /// Why the range cannot be trusted, if it cannot.
    var rangeProblem: String?

    var signedEnd: Int { byteRange.count == 4 ? byteRange[2] + byteRange[3] : 0 }
}

/// Finds and checks the signatures of a PDF without a full PDF parser: every `/ByteRange [a b c d]`, with
/// bounds checks on everything read from the file. A range must start at 0, leave exactly one hole that
/// holds the hex `/Contents`, and end at the end of a revision (`%%EOF`). The newest revision must be
/// covered: bytes after the end of the last signed revision make every signature `byte-range-incomplete`.
enum PDFSignatureScanner {
    static func scan(_ pdf: [UInt8], limit: Int) -> [PDFSignatureField] {
        var fields: [PDFSignatureField] = []
        let needle = Array("/ByteRange".utf8)
        var i = 0
        pdf.withUnsafeBufferPointer { p in
            while i + needle.count < p.count, fields.count < limit {
                // memchr to the next '/', far faster than a byte loop over binary streams
                guard let found = memchr(p.baseAddress! + i, 0x2F, p.count - i) else { break }
                i = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - p.baseAddress!
                guard matches(p, at: i, needle) else { i += 1; continue }
                i += needle.count
                guard let (range, after) = parseIntArray(p, at: i), range.count == 4 else { continue }
                var field = PDFSignatureField(byteRange: range, contents: nil, subFilter: subFilter(p, around: i))
                let (a, b, c, d) = (range[0], range[1], range[2], range[3])
                if a != 0 || b <= 0 || c <= b || d < 0 || c + d > p.count {
                    field.rangeProblem = "the byte range [\(a) \(b) \(c) \(d)] does not start at 0, overlaps, or runs past the file"
                } else if p[b] != UInt8(ascii: "<") || p[c - 1] != UInt8(ascii: ">") {
                    field.rangeProblem = "the hole of the byte range is not exactly the /Contents string"
                } else if let der = hexDER(p, from: b + 1, to: c - 1) {
                    field = PDFSignatureField(byteRange: range, contents: der, subFilter: field.subFilter)
                    if !endsRevision(p, at: c + d) {
                        field.rangeProblem = "the signed range does not end at the end of a revision (%%EOF)"
                    }
                } else {
                    field.rangeProblem = "/Contents is not hex-encoded DER"
                }
                fields.append(field)
                i = after
            }
        }
        return fields
    }

    static func matches(_ p: UnsafeBufferPointer<UInt8>, at i: Int, _ needle: [UInt8]) -> Bool {
        guard i + needle.count <= p.count else { return false }
        for k in 0..<needle.count where p[i + k] != needle[k] { return false }
        return true
    }

    /// True when the bytes after `end` (the end of the last signed revision) are only line ends.
    static func coversNewestRevision(_ pdf: [UInt8], signedEnd: Int) -> Bool {
        guard signedEnd <= pdf.count else { return false }
        return pdf[signedEnd...].allSatisfy { $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x00 }
    }

    static func endsRevision(_ p: UnsafeBufferPointer<UInt8>, at end: Int) -> Bool {
        var e = end
        var eol = 0
        while e > 0, p[e - 1] == 0x0A || p[e - 1] == 0x0D, eol < 2 { e -= 1; eol += 1 }
        let eof = Array("%%EOF".utf8)
        return e >= eof.count && Array(p[(e - eof.count)..<e]) == eof
    }

    static func parseIntArray(_ p: UnsafeBufferPointer<UInt8>, at start: Int) -> ([Int], Int)? {
        var i = start
        func skipSpace() { while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 } }
        skipSpace()
        guard i < p.count, p[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        var values: [Int] = []
        while values.count < 8 {
            skipSpace()
            guard i < p.count else { return nil }
            if p[i] == UInt8(ascii: "]") { return (values, i + 1) }
            var v = 0, digits = 0
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39, digits < 12 {
                v = v * 10 + Int(p[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            values.append(v)
        }
        return nil
    }

    /// `/SubFilter /name` within the signature dictionary (searched a little around the range).
    static func subFilter(_ p: UnsafeBufferPointer<UInt8>, around at: Int) -> String? {
        let needle = Array("/SubFilter".utf8)
        let lower = max(0, at - 2048), upper = min(p.count - needle.count, at + 2048)
        guard lower < upper else { return nil }
        var i = lower
        while i < upper {
            if p[i] == needle[0], matches(p, at: i, needle) {
                var j = i + needle.count
                while j < p.count, p[j] == 0x20 || p[j] == 0x0A || p[j] == 0x0D { j += 1 }
                guard j < p.count, p[j] == UInt8(ascii: "/") else { return nil }
                var k = j + 1
                while k < p.count, k - j < 64, !(p[k] == 0x20 || p[k] == 0x2F || p[k] == 0x3E || p[k] == 0x0A || p[k] == 0x0D) { k += 1 }
                return String(decoding: p[(j + 1)..<k], as: UTF8.self)
            }
            i += 1
        }
        return nil
    }

    /// Hex (PDF pads with zeros) to the DER object it holds, cut at the DER length.
    static func hexDER(_ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> [UInt8]? {
        guard to > from, (to - from) <= 4 << 20 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((to - from) / 2)
        var high: UInt8?
        for i in from..<to {
            let c = p[i]
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x41 + 10
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x20, 0x0A, 0x0D, 0x09: continue
            default: return nil
            }
            if let h = high { bytes.append(h << 4 | v); high = nil } else { high = v }
        }
        // DER: SEQUENCE with a definite length.
        guard bytes.count >= 2, bytes[0] == 0x30 else { return nil }
        var length = Int(bytes[1]), header = 2
        if bytes[1] & 0x80 != 0 {
            let n = Int(bytes[1] & 0x7F)
            guard n >= 1, n <= 4, bytes.count >= 2 + n else { return nil }
            length = bytes[2..<(2 + n)].reduce(0) { $0 << 8 | Int($1) }
            header = 2 + n
        }
        guard header + length <= bytes.count else { return nil }
        return Array(bytes[0..<(header + length)])
    }
}

/// Verifies every signature of one PDF.
struct PDFVerifier {
    let trust: TrustStore
    let policy: VerificationPolicy
    let chains: ChainCache

    func verify(_ pdf: [UInt8], location: String, at time: Int64) -> [SignatureVerdict] {
        let fields = PDFSignatureScanner.scan(pdf, limit: policy.maxSignaturesPerFile)
        guard !fields.isEmpty else { return [] }
        let newestSigned = fields.filter { $0.rangeProblem == nil }.map(\.signedEnd).max() ?? 0
        let fileCovered = PDFSignatureScanner.coversNewestRevision(pdf, signedEnd: newestSigned)
        return fields.map { field in
            var reasons: [SignatureReason] = []
            var detail = field.rangeProblem
            if field.rangeProblem != nil || !fileCovered {
                reasons.append(.byteRangeIncomplete)
                detail = detail ?? "the file was changed after its last signature (an unsigned incremental update)"
            }
            guard let der = field.contents else {
                return SignatureVerdict(location: location, reasons: reasons.isEmpty ? [.malformedSignature] : reasons, detail: detail,
                                        refuseWeak: policy.refuseWeakAlgorithms)
            }
            let cms: CMSVerification
            do {
                cms = try CMS.verify(der: der) { digest in
                    pdf.withUnsafeBytes { raw in
                        let r = field.byteRange
                        digest.update(UnsafeRawBufferPointer(rebasing: raw[r[0]..<(r[0] + r[1])]))
                        digest.update(UnsafeRawBufferPointer(rebasing: raw[r[2]..<(r[2] + r[3])]))
                    }
                }
            } catch {
                return SignatureVerdict(location: location, reasons: reasons + [.malformedSignature], detail: "\(error)",
                                        refuseWeak: policy.refuseWeakAlgorithms)
            }
            if let sub = field.subFilter, !["adbe.pkcs7.detached", "ETSI.CAdES.detached", "adbe.pkcs7.sha1"].contains(sub) {
                reasons.append(.unsupportedAlgorithm)
                detail = detail ?? "SubFilter \(sub) is not supported"
            }
            if cms.digestAlgorithm == nil {
                reasons.append(.unsupportedAlgorithm)
                detail = detail ?? "the CMS digest algorithm is not supported"
            } else if cms.isWeak || field.subFilter == "adbe.pkcs7.sha1" {
                reasons.append(.weakAlgorithm)
            }
            if !cms.digestMatches {
                reasons.append(.digestMismatch)
                detail = detail ?? "the signed byte ranges changed after signing"
            }
            guard let signer = cms.signer else {
                return SignatureVerdict(location: location, reasons: reasons + [.untrustedChain], algorithm: cms.signatureAlgorithm,
                                        signingTime: cms.signingTime.map(isoUTC), detail: detail ?? "the CMS does not carry its signer's certificate",
                                        refuseWeak: policy.refuseWeakAlgorithms)
            }
            if !cms.signatureMatches {
                reasons.append(.signatureMismatch)
                detail = detail ?? "the CMS signature does not verify with the signer's key"
            }
            let chain = chains.verify(signer, untrusted: cms.certificates, at: time, trust: trust)
            reasons += chain.problems.map { SignatureReason(rawValue: $0.rawValue) }
            return SignatureVerdict(location: location, kind: SignerClassifier.kind(of: signer, policy: policy), reasons: reasons,
                                    signer: SignerClassifier.describe(signer), algorithm: cms.signatureAlgorithm,
                                    signingTime: cms.signingTime.map(isoUTC), detail: detail ?? chain.detail,
                                    refuseWeak: policy.refuseWeakAlgorithms)
        }
    }
}
