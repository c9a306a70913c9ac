import Foundation
import TrucSignatures

/// `--algorithm-policy FILE`: the dated algorithm policy (`AlgorithmPolicy`), the same for `truc serve`,
/// `truc verify` and `truc trust`.
enum AlgorithmPolicyFile {
    static func read(_ path: String) throws(CommandFailure) -> AlgorithmPolicy {
        let bytes: [UInt8]
        do {
            bytes = try FileInput.load(path, maxBytes: 1 << 20)
        } catch {
            throw CommandFailure(code: "file-unreadable", message: "--algorithm-policy: cannot read \(path): \(error)", exitCode: 2)
        }
        do {
            return try AlgorithmPolicy.read(bytes)
        } catch {
            throw CommandFailure(code: "usage", message: "--algorithm-policy \(path): \(error)", exitCode: 2)
        }
    }
}
