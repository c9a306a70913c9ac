import EdXML
import Foundation
import TrucCore
import TrucCrypto
import TrucSignatures
import TrucVXP
import TrucZlib
import TrucXML
import TrucVocabulary

/// The parsers a caller's bytes reach, as fuzz targets. `truc-fuzz` (built with libFuzzer and
/// AddressSanitizer by `scripts/fuzz.sh`) runs one of them per process; the test suite replays the seed
/// corpora and every committed crasher through the same code (`Tests/Fuzz`).
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// The edXML reader, validation, attachments (base64, ZIP) and every signature (XMLDSig, PDF/CMS).
    case edxml
    /// The streaming base64 decoder, with the input cut in two at every place.
    case base64
    /// The ZIP reader and inflater.
    case zip
    /// PDF signature dictionaries, byte ranges and their CMS.
    case pdf
    /// CMS SignedData (the ASN.1 path) on its own.
    case cms
    /// The SDK dialect's signed headers: the JSON of `sign-header` (MAC'd so that it is parsed), hash-file.
    case vxp
    /// Delivery receipts as a peer hub relays them: reading and signature checking.
    case receipt
    /// Report dates and ranges.
    case date

    /// The trust store the signature targets verify against: the directory `TRUC_FUZZ_TRUST` names (the demo
    /// PKI, so that the fixtures' chains verify), else a throwaway root made now (chains then fail; everything
    /// before them still runs).
    static let trust: TrustStore = {
        if let directory = ProcessInfo.processInfo.environment["TRUC_FUZZ_TRUST"], let store = try? TrustStore(directory: directory) {
            return store
        }
        do {
            let key = try CertificateIssuer.rsaKeyPEM()
            let root = try CertificateIssuer.issue(subject: [("CN", "Truc fuzzing root (NOT FOR PRODUCTION)")], subjectKeyPEM: key, profile: .rootCA,
                                                   days: 1, issuerCertificatePEM: nil, issuerKeyPEM: key)
            return try TrustStore(certificates: try Certificate.fromPEM(root), crls: [])
        } catch {
            fatalError("cannot make the fuzzing trust store: \(error)")
        }
    }()
    static let verifier = SignatureVerifier(trust: trust)
    static let secret = Array("fuzz-secret".utf8)

    /// Runs the target on one input. Must never trap, hang or leak whatever the bytes.
    package func run(_ bytes: [UInt8]) {
        let now: Int64 = 1_780_000_000
        switch self {
        case .edxml:
            var limits = ReadLimits.default
            limits.xml.maxBytes = 4 << 20
            guard let parsed = try? EdXMLReader.read(bytes, limits: limits) else { return }
            _ = parsed.validate()
            _ = Self.verifier.verifyReportingAttachments(parsed, at: now,
                                                         attachmentLimits: AttachmentLimits(maxDecodedBytes: 4 << 20, maxUncompressedTotal: 16 << 20))
        case .base64:
            _ = AttachmentFuzzEntry.base64(bytes, split: bytes.first.map(Int.init) ?? 0)
        case .zip:
            _ = AttachmentFuzzEntry.unzip(bytes)
        case .pdf:
            // Differential: spooled to a mapped file (as a large file in a ZIP) the verdicts must be those read in memory.
            let inMemory = Self.verifier.verifyPDF(bytes, at: now)
            let mapped = try? Self.verifier.verifyPDFMapped(bytes, at: now, chunkSize: 1 + (bytes.first.map(Int.init) ?? 0) * 64)
            precondition(mapped == nil || inMemory == mapped, "mapped PDF verdicts differ: \(inMemory) vs \(mapped ?? [])")
        case .cms:
            _ = SignatureVerifier.parsesAsCMS(bytes)
        case .vxp:
            let text = String(decoding: bytes, as: UTF8.self)
            let parts = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            let sign = parts.first ?? ""
            let hash = HMAC.sha256(key: Self.secret, message: Array(sign.utf8)).hexString
            let credentials = VXPAuth.Credentials(systemId: "00.99.W00", signHeader: sign, hashHeader: parts.count > 1 ? parts[1] : hash)
            let headers = parts.count > 2 ? parts[2] : ""
            _ = try? VXPAuth.verify(credentials, secret: Self.secret, used: ["docId", "docid", "status", "hash-file"]) { name in
                headers.split(separator: "\n").compactMap { line -> String? in
                    let kv = line.split(separator: ":", maxSplits: 1)
                    return kv.count == 2 && kv[0].lowercased() == name.lowercased() ? String(kv[1]) : nil
                }
            }
            _ = try? VXPAuth.verify(VXPAuth.Credentials(systemId: "00.99.W00", signHeader: sign, hashHeader: hash), secret: Self.secret,
                                    used: ["AgencyCode"]) { _ in [] }
            _ = VXPHashFile.matches(text, digest: Digest.sha256(bytes))
        case .receipt:
            _ = DeliveryReceipt.parse(bytes)
            _ = ReceiptVerifier.verify(bytes, trust: Self.trust, at: now)
        case .date:
            let text = String(decoding: bytes, as: UTF8.self)
            let halves = text.split(separator: " ", maxSplits: 1).map(String.init)
            _ = CalendarDay(text)
            _ = DayRange.parse(from: halves.first, to: halves.last)
        }
    }
}
