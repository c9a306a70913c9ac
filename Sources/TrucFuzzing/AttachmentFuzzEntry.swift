import EdXML
import Foundation

/// The attachment decoders on raw bytes, as a hostile sender controls them (the base64 and zip targets).
enum AttachmentFuzzEntry {
    /// Base64-decodes `text`, fed in chunks cut at `split` (so that chunk boundaries fall anywhere).
    static func base64(_ text: [UInt8], split: Int) -> Int? {
        var decoder = Base64Decoder()
        var out = [UInt8](repeating: 0, count: Base64Decoder.maxDecodedLength(text.count))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            var n = 0
            let cut = text.isEmpty ? 0 : split % (text.count + 1)
            text.withUnsafeBytes { raw in
                n += decoder.feed(UnsafeRawBufferPointer(rebasing: raw[0..<cut]), into: buffer.baseAddress! + n)
                n += decoder.feed(UnsafeRawBufferPointer(rebasing: raw[cut...]), into: buffer.baseAddress! + n)
            }
            n += decoder.finish(into: buffer.baseAddress! + n)
            return n
        }
        return decoder.failure == nil ? written : nil
    }

    /// Opens `bytes` as a ZIP container with small limits and inflates every entry.
    static func unzip(_ bytes: [UInt8]) -> Bool {
        let limits = AttachmentLimits(maxDecodedBytes: 8 << 20, maxUncompressedTotal: 16 << 20, maxRatio: 100, ratioFloor: 1 << 16, maxEntries: 64)
        if case .success = AttachmentDecoding.unzip(Data(bytes), limits: limits, alreadyUncompressed: 0, retain: true) { return true }
        return false
    }
}
