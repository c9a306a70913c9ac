import Foundation
import TrucCrypto
import TrucCore

/// `--signing-eku`: the extended key usages (dotted OIDs) that allow a signer certificate carrying the
/// extension to sign documents. The same for `truc serve` and `truc verify`.
enum SigningEKU {
    static let defaultText = TrustStore.defaultSigningExtendedKeyUsages.sorted().joined(separator: ",")

    static func parse(_ text: String, flag: String) throws(CommandFailure) -> Set<String> {
        let values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !values.isEmpty else { throw CommandFailure(.usage, "\(flag): give at least one OID") }
        for value in values {
            let arcs = value.split(separator: ".", omittingEmptySubsequences: false)
            guard arcs.count >= 2, arcs.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
                throw CommandFailure(.usage, "\(flag): \(value) is not a dotted OID such as 1.3.6.1.5.5.7.3.4")
            }
        }
        return Set(values)
    }
}
