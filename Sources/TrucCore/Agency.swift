package import EdXML

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
}
