package import TrucVocabulary

/// An agency this hub serves: its code, name, place in the hierarchy and how it authenticates.
package struct Agency: Sendable, Codable, Equatable {
    /// Mã định danh (QCVN 102:2016 or QĐ 20/2020 layout).
    package var code: String
    package var name: String
    /// The parent agency's code (a province for its departments, ...); derived from the code when absent.
    package var parent: String?
    /// The identifier its TLS client certificates carry (`MST:…` in the subject's UID or serialNumber).
    package var certificateIdentifier: String?
    /// SHA-256 (hex) of a specific client certificate, when the agency is pinned to one.
    package var certificateSHA256: String?
    /// Where the hub pushes this agency's messages; nil: the agency pulls its inbox.
    package var pushURL: String?
    /// A peer hub: may send messages on behalf of any agency (it relays them).
    package var relay: Bool

    package init(code: String, name: String, parent: String? = nil, certificateIdentifier: String? = nil,
                 certificateSHA256: String? = nil, pushURL: String? = nil, relay: Bool = false) {
        self.code = code
        self.name = name
        self.parent = parent
        self.certificateIdentifier = certificateIdentifier
        self.certificateSHA256 = certificateSHA256
        self.pushURL = pushURL
        self.relay = relay
    }

    /// Checks the code and fills in the parent from it when none is given.
    package func validated() throws(AgencyCodeError) -> Agency {
        let parsed = try AgencyCode(code)
        var copy = self
        if copy.parent == nil { copy.parent = parsed.parent?.raw }
        if let parent = copy.parent { _ = try AgencyCode(parent) }
        return copy
    }

    /// What is wrong with a field other than the codes, as a sentence (nil: nothing). The name is shown on
    /// pages and in reports, the identifiers match certificates, the push URL is where documents go.
    package var fieldProblem: String? {
        if name.allSatisfy(\.isWhitespace) { return "name is empty" }
        if name.utf8.count > 500 { return "name has \(name.utf8.count) bytes; at most 500" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "name holds a control character" }
        if let id = certificateIdentifier, id.isEmpty || id.utf8.count > 256 { return "certificateIdentifier has 1 to 256 characters" }
        if let sha = certificateSHA256, sha.count != 64 || !sha.allSatisfy(\.isHexDigit) {
            return "certificateSHA256 is the 64 hex digits of the certificate's SHA-256"
        }
        if let url = pushURL {
            let lower = url.lowercased()
            let rest = lower.hasPrefix("https://") ? url.dropFirst(8) : lower.hasPrefix("http://") ? url.dropFirst(7) : nil
            guard let rest, let host = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first, !host.isEmpty,
                  url.utf8.count <= 2000, !url.contains(where: \.isWhitespace), !host.contains("?"), !host.contains("#") else {
                return "pushURL is an http:// or https:// URL with a host"
            }
        }
        return nil
    }
}
