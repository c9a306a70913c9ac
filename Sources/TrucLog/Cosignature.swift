import Foundation
package import TrucCrypto

/// A witness's cosignature of a checkpoint, in the C2SP `tlog-cosignature` format (v1): the witness signs, with
/// Ed25519, "cosignature/v1\ntime <seconds>\n" followed by the checkpoint's body, and adds to the note the line
/// "— <witness name> <base64(key ID ‖ time as 8 bytes big-endian ‖ signature)>", where the key ID is the first
/// 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key). The witness's verifier key is
/// "<name>+<key ID hex>+<base64(0x04 ‖ public key)>".
package enum Cosignature {
    package static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array(Digest.sha256(Array(name.utf8) + [0x0A, 0x04] + publicKey).prefix(4))
    }

    package static func verifierKey(name: String, publicKey: [UInt8]) -> String {
        "\(name)+\(keyID(name: name, publicKey: publicKey).hexString)+\(Data([0x04] + publicKey).base64EncodedString())"
    }

    static func message(_ checkpoint: Checkpoint, time: Int64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n\(checkpoint.body)".utf8)
    }

    /// The cosignature line of `checkpoint` by the witness `name` at `time` (seconds since 1970).
    package static func sign(_ checkpoint: Checkpoint, name: String, key: Ed25519Key, time: Int64) throws -> String {
        var timestamp = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { timestamp[i] = UInt8(truncatingIfNeeded: UInt64(time) >> (56 - 8 * i)) }
        let signature = try key.sign(message(checkpoint, time: time))
        return "\u{2014} \(name) \(Data(keyID(name: name, publicKey: key.publicKey) + timestamp + signature).base64EncodedString())"
    }

    /// The time a cosignature line states, when it is the witness `verifier`'s over `checkpoint`; else nil.
    package static func verify(line: String, checkpoint: Checkpoint, verifier: String) -> Int64? {
        let parts = verifier.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == 0x04 else { return nil }
        let name = String(parts[0]), publicKey = Array(raw.dropFirst())
        guard keyID(name: name, publicKey: publicKey).hexString == parts[1] else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count == 3, fields[0] == "\u{2014}", fields[1] == name, let blob = Data(base64Encoded: String(fields[2])).map(Array.init),
              blob.count == 76, Array(blob.prefix(4)) == keyID(name: name, publicKey: publicKey) else { return nil }
        let time = blob[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard time <= UInt64(Int64.max),
              Ed25519Key.verify(publicKey: publicKey, signature: Array(blob[12...]), message: message(checkpoint, time: Int64(time))) else { return nil }
        return Int64(time)
    }
}
