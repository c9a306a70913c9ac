/// Long-term validation data of a PDF (PAdES, ETSI EN 319 142-1 §5.4): the Document Security Store of the
/// newest revision — certificates, CRLs and OCSP responses a signer or archivist added after signing.
/// Nothing here is trusted for being in the file: every CRL and OCSP response is checked cryptographically
/// where it is used, and certificates only help build paths to configured anchors.
struct PDFValidationData {
    var certificates: [[UInt8]] = []
    var crls: [[UInt8]] = []
    var ocspResponses: [[UInt8]] = []
    static let maxItems = 256

    /// The DSS of the newest revision, or nothing when the file has none or it cannot be read; throws only when
    /// reading it would cost more than one document may (`tooComplex`).
    static func read(_ file: PDFFile) throws -> PDFValidationData {
        var data = PDFValidationData()
        guard let revision = try? file.revision(endingAt: file.bytes.count),
              let root = revision.trailer["Root"]?.reference,
              let catalog = try? revision.object(root).value.dictionary,
              let dss = (try? revision.resolve(catalog["DSS"]))??.dictionary else { return data }
        func streams(_ key: String) throws -> [[UInt8]] {
            guard let list = (try? revision.resolve(dss[key]))??.array else { return [] }
            return try list.prefix(maxItems).compactMap { item in
                guard case .reference(let number, let generation) = item else { return nil }
                do {
                    guard let object = try revision.object(number, generation: generation) else { return nil }
                    return try revision.streamData(object)
                } catch let error as PDFSyntaxError where error.tooComplex {
                    throw error
                } catch {
                    return nil // an unreadable item helps no path; it is not evidence either way
                }
            }
        }
        data.certificates = try streams("Certs")
        data.crls = try streams("CRLs")
        data.ocspResponses = try streams("OCSPs")
        return data
    }
}
