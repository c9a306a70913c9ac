import COpenSSL

/// A failure to run a cryptographic operation at all (bad encoding, allocation). Verification outcomes are
/// not errors: they are results with reasons.
package struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }

    /// The message plus OpenSSL's queued errors (the queue is drained: it is per thread).
    static func openssl(_ what: String) -> CryptoError {
        var details: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            details.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return CryptoError(details.isEmpty ? what : "\(what): \(details.joined(separator: "; "))")
    }
}

/// Drops whatever OpenSSL left in this thread's error queue.
func clearOpenSSLErrors() { ERR_clear_error() }
