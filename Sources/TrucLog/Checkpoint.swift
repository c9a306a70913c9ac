import Foundation
package import TrucCrypto

/// A checkpoint of the evidence log in the C2SP formats: the `tlog-checkpoint` body (origin, tree size, root hash in
/// base64, each on its line) signed as a `signed-note` with Ed25519 — a blank line, then one line per signature,
/// "— <key name> <base64(key ID ‖ signature)>", where the key ID is the first 4 bytes of
/// SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key). The verifier key is written "<name>+<key ID hex>+<base64(0x01 ‖ public key)>".
package struct Checkpoint: Sendable, Equatable {
    package var origin: String
    package var size: Int64
    package var root: [UInt8]

    package init(origin: String, size: Int64, root: [UInt8]) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The note's text (what is signed).
    package var body: String { "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\n" }

    package static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array(Digest.sha256(Array(name.utf8) + [0x0A, 0x01] + publicKey).prefix(4))
    }

    /// The verifier key text of `publicKey` under `name`.
    package static func verifierKey(name: String, publicKey: [UInt8]) -> String {
        "\(name)+\(keyID(name: name, publicKey: publicKey).hexString)+\(Data([0x01] + publicKey).base64EncodedString())"
    }

    /// The signed note: the body, a blank line, the signature line.
    package func signed(name: String, key: Ed25519Key) throws -> String {
        try SignedNote.sign(body: body, name: name, key: key)
    }

    /// Reads a signed note and checks its signature by the verifier key `verifier` ("name+id+key"); nil when the
    /// note is not a checkpoint or no signature line of that key verifies. Further signatures (cosignatures) may
    /// follow; they are not checked here.
    package static func verify(note: String, verifier: String) -> Checkpoint? {
        guard let body = SignedNote.verify(note: note, verifier: verifier) else { return nil }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard lines.count >= 3, let size = Int64(lines[1]), size >= 0, let root = Data(base64Encoded: String(lines[2])), root.count == 32 else { return nil }
        return Checkpoint(origin: String(lines[0]), size: size, root: Array(root))
    }
}
