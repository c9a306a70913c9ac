import TrucCore
import Foundation
import TrucCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The PKI a hub makes for itself when it is given none: `DATA/pki`, created once on first start with keys
/// that never left this machine (a root CA, the hub's TLS certificate, and certificates for the demo
/// agencies). No key in the repository is trusted unless an operator names it (`--demo-pki`, `--trust`, …).
///
///     pki/ca/root-ca.key, root-ca.pem        the installation's root CA (key 0600)
///     pki/trust/root-ca.pem, root.crl.pem    the trust directory for signatures and client certificates
///     pki/hub/server.key, server.pem, server.chain.pem, client-ca.pem
///     pki/agencies/<code>/organisation.*, personal.*, name.txt
enum LocalPKI {
    struct DemoAgency {
        let code: String
        let name: String
        let taxCode: String
        let person: String
        let citizenId: String
    }

    /// The same three agencies as the committed demo PKI (Certs/demo), with keys of this installation.
    static let agencies = [
        DemoAgency(code: "000.00.00.G22", name: "Văn phòng Chính phủ", taxCode: "0100100001", person: "Nguyễn Văn An", citizenId: "001080000001"),
        DemoAgency(code: "000.00.00.H41", name: "UBND Tỉnh Nghệ An", taxCode: "2900100002", person: "Trần Thị Bình", citizenId: "040085000002"),
        DemoAgency(code: "000.00.12.H41", name: "Sở Thông tin và Truyền thông Nghệ An", taxCode: "2900100003", person: "Lê Văn Cường",
                   citizenId: "040090000003"),
    ]

    /// The marker every self-made or demo CA carries in its name; `truc serve` warns when it trusts one.
    static let marker = "NOT FOR PRODUCTION"

    struct Paths {
        let root: String
        var certificate: String { root + "/hub/server.chain.pem" }
        var privateKey: String { root + "/hub/server.key" }
        var clientCA: String { root + "/hub/client-ca.pem" }
        var trust: String { root + "/trust" }
        var agencies: String { root + "/agencies" }
        var rootCertificate: String { root + "/trust/root-ca.pem" }
    }

    /// The installation's PKI under `dataDirectory`, made now if it does not exist yet. Returns its paths
    /// and whether it was just created.
    static func ensure(dataDirectory: String) throws -> (Paths, created: Bool) {
        let paths = Paths(root: dataDirectory + "/pki")
        if FileManager.default.fileExists(atPath: paths.privateKey) { return (paths, false) }
        if FileManager.default.fileExists(atPath: paths.root) {
            throw CommandFailure(.pkiDamaged, "\(paths.root) exists but holds no hub key; remove it to have a new PKI made, or pass --tls-cert, --tls-key, --client-ca and --trust")
        }
        // Made in a sibling folder and renamed into place: a crash never leaves half a PKI behind.
        let staging = dataDirectory + "/pki.staging-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        try make(at: staging)
        try FileManager.default.moveItem(atPath: staging, toPath: paths.root)
        return (paths, true)
    }

    static func make(at folder: String) throws {
        let fm = FileManager.default
        for sub in ["ca", "trust", "hub", "agencies"] {
            try fm.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let tag = try secureRandomBytes(4).hexString
        let host = ProcessInfo.processInfo.hostName

        let rootKey = try CertificateIssuer.rsaKeyPEM(bits: 3072)
        let root = try CertificateIssuer.issue(
            subject: [("C", "VN"), ("O", "Truc (this installation)"), ("CN", "Truc Local Root CA \(tag) (\(marker))")],
            subjectKeyPEM: rootKey, profile: .rootCA, days: 3650, issuerCertificatePEM: nil, issuerKeyPEM: rootKey)
        try write(rootKey, "\(folder)/ca/root-ca.key", secret: true)
        try write(root, "\(folder)/ca/root-ca.pem")
        try write(root, "\(folder)/trust/root-ca.pem")
        try write(try CertificateIssuer.emptyCRL(issuerCertificatePEM: root, issuerKeyPEM: rootKey, days: 3650), "\(folder)/trust/root.crl.pem")

        func issue(_ subject: [(String, String)], _ profile: CertificateIssuer.Profile, days: Int, to prefix: String) throws {
            let key = try CertificateIssuer.rsaKeyPEM()
            let certificate = try CertificateIssuer.issue(subject: subject, subjectKeyPEM: key, profile: profile, days: days,
                                                          issuerCertificatePEM: root, issuerKeyPEM: rootKey)
            try write(key, prefix + ".key", secret: true)
            try write(certificate, prefix + ".pem")
            try write(certificate + root, prefix + ".chain.pem")
        }
        var names = ["localhost", "national-hub", "provincial-hub"]
        if !host.isEmpty, !names.contains(host), host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) {
            names.append(host)
        }
        try issue([("C", "VN"), ("O", "Truc (this installation)"), ("CN", "localhost")], .server(dnsNames: names, ipAddresses: ["127.0.0.1", "::1"]),
                  days: 825, to: "\(folder)/hub/server")
        try write(root, "\(folder)/hub/client-ca.pem")
        for agency in agencies {
            let dir = "\(folder)/agencies/\(agency.code)"
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try issue([("C", "VN"), ("O", agency.name), ("CN", agency.name), ("UID", "MST:\(agency.taxCode)")], .signer, days: 730,
                      to: "\(dir)/organisation")
            try issue([("C", "VN"), ("O", agency.name), ("CN", agency.person), ("UID", "CCCD:\(agency.citizenId)")], .signer, days: 730,
                      to: "\(dir)/personal")
            try write(Array((agency.name + "\n").utf8), "\(dir)/name.txt")
        }
        try write(Array("""
            This PKI was made by `truc serve` for this installation only (its keys never left this machine).
            It is for trying Truc out: clients trust ca/root-ca.pem (curl --cacert trust/root-ca.pem), agencies
            authenticate with agencies/<code>/organisation.pem and sign with their keys. For production, give
            truc serve your real certificates: --tls-cert, --tls-key, --client-ca and --trust.

            """.utf8), "\(folder)/README.txt")
    }

    static func write(_ bytes: [UInt8], _ path: String, secret: Bool = false) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: secret ? 0o600 : 0o644]) else {
            throw CommandFailure(.dataUnwritable, "cannot write \(path)")
        }
    }

    /// The subjects of the trust anchors in `directory` that are demo or self-made CAs.
    static func untrustworthyAnchors(in directory: String) -> [String] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var found: [String] = []
        for file in files.sorted() where file.hasSuffix(".pem") || file.hasSuffix(".crt") {
            guard let data = FileManager.default.contents(atPath: directory + "/" + file),
                  let certificates = try? Certificate.fromPEM([UInt8](data)) else { continue }
            for certificate in certificates where certificate.subject.contains(marker) { found.append(certificate.subject) }
        }
        return found
    }
}
