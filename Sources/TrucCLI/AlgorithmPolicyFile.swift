import Foundation
import TrucSignatures
import TrucCore

/// `--algorithm-policy FILE`: the dated algorithm policy (`AlgorithmPolicy`), the same for `truc serve`,
/// `truc verify` and `truc trust`.
enum AlgorithmPolicyFile {
    static func read(_ path: String) throws(CommandFailure) -> AlgorithmPolicy {
        let bytes: [UInt8]
        do {
            bytes = try FileInput.load(path, maxBytes: 1 << 20)
        } catch {
            throw CommandFailure(.fileUnreadable, "--algorithm-policy: cannot read \(path): \(error)")
        }
        do {
            return try AlgorithmPolicy.read(bytes)
        } catch {
            throw CommandFailure(.usage, "--algorithm-policy \(path): \(error)")
        }
    }
}
