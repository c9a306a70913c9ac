/// Everything `truc serve` needs, with the demo defaults. Reading it from flags, environment and a
/// config file happens in the CLI (`ServeCommand`), which lists every key.
package struct HubConfiguration: Sendable {
    /// This hub's own agency code (a W-group system code), written in trace headers and receipts.
    package var hubCode: String
    package var host: String
    package var port: Int
    /// PEM certificate chain and key of the hub's TLS server certificate.
    package var certificatePath: String
    package var privateKeyPath: String
    /// PEM bundle of the CAs whose client certificates the hub accepts (agencies, peer hubs).
    package var clientCAPath: String
    /// Trust directory for signatures and for CRL checks of client certificates.
    package var trustDirectory: String
    /// Where the SQLite store and the payload files live.
    package var dataDirectory: String
    /// Largest accepted request body, in bytes.
    package var maxBodyBytes: Int
    /// The operator's credential (`Authorization: Bearer …`), for admin endpoints and any message.
    package var operatorToken: String?
    package var requireRevocationData: Bool

    package init(hubCode: String = "000.00.00.W00", host: String = "127.0.0.1", port: Int = 8443,
                 certificatePath: String, privateKeyPath: String, clientCAPath: String, trustDirectory: String,
                 dataDirectory: String = "./data", maxBodyBytes: Int = 64 << 20, operatorToken: String? = nil,
                 requireRevocationData: Bool = false) {
        self.hubCode = hubCode
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.trustDirectory = trustDirectory
        self.dataDirectory = dataDirectory
        self.maxBodyBytes = maxBodyBytes
        self.operatorToken = operatorToken
        self.requireRevocationData = requireRevocationData
    }
}
