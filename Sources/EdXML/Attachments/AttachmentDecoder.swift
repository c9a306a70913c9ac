package import Foundation
import TrucCrypto
import TrucXML
import TrucZlib

extension ParsedMessage {
    /// Decodes every attachment of a document message: base64, then ZIP containers, within `limits`.
    /// Problems are findings (`invalid-base64`, `invalid-zip`, `zip-bomb`, ...), never crashes.
    ///
    /// - Parameter retainContent: keep the decoded bytes (and ZIP entries' bytes) in the result, for
    ///   signature verification. Without it only sizes, types and digests are kept, and memory stays near
    ///   the size of the largest attachment.
    /// - Parameter digests: compute the SHA-256 of each attachment and ZIP entry (signature verification,
    ///   which digests what it needs itself, turns this off; the `sha256` fields are then empty).
    /// - Parameter retainContainers: with `retainContent`, also keep the bytes of ZIP containers (not only
    ///   of the files inside them); needed only for signatures that reference an attachment itself (`cid:`).
    /// - Parameter retainEntriesUpTo: with `retainContent`, keep the bytes of ZIP entries only up to this size;
    ///   a larger entry keeps its place in the archive (`ZipEntryContent.entry`) and the container is kept, so
    ///   that the entry can be inflated again, in passes, instead of being held next to its container.
    package func decodeAttachments(limits: AttachmentLimits = .default, retainContent: Bool = false, digests: Bool = true,
                                   retainContainers: Bool = true, retainEntriesUpTo: Int = .max) -> ([DecodedAttachment], [Finding]) {
        guard case .document(let doc) = message else { return ([], []) }
        var results: [DecodedAttachment] = []
        var findings: [Finding] = []
        var uncompressedTotal = 0
        for (index, info) in doc.attachments.enumerated() {
            let path = "/edXML/AttachmentEncoded/Attachment\(doc.attachments.count > 1 ? "[\(index + 1)]" : "")/ContentTransferEncoded"
            if limits.budgetSpent {
                findings.append(Finding(.workBudget, path, "decoding the attachments took longer than the hub's work budget for one document"))
                break
            }
            guard let element = encodedContent[index] else {
                findings.append(Finding(.missingElement, path, "attachment \(info.attachmentName ?? String(index + 1)) has no ContentTransferEncoded"))
                continue
            }
            switch AttachmentDecoding.decodeBase64(element, limits: limits) {
            case .failure(let finding):
                findings.append(Finding(finding.code, path, finding.message))
            case .success(let data):
                var decoded = DecodedAttachment(
                    index: index, contentId: info.contentId, name: info.attachmentName, declaredType: info.contentType,
                    sniffedType: ContentSniffer.sniff(data.prefix(16), name: info.attachmentName), size: data.count,
                    sha256: digests ? data.withUnsafeBytes { Digest.hash(.sha256, $0) }.hexString : "")
                if decoded.sniffedType == ContentSniffer.zip {
                    switch AttachmentDecoding.unzip(data, limits: limits, alreadyUncompressed: uncompressedTotal, retain: retainContent, digests: digests,
                                                    retainUpTo: retainEntriesUpTo) {
                    case .success(let (entries, total)):
                        decoded.entries = entries
                        uncompressedTotal = total
                    case .failure(let finding):
                        findings.append(Finding(finding.code, path, finding.message))
                    }
                }
                if let declared = info.contentType, !ContentSniffer.agree(declared: declared, sniffed: decoded.sniffedType) {
                    findings.append(Finding(.contentTypeMismatch, path,
                                            "declared \(declared) but the content is \(decoded.sniffedType)", severity: .warning))
                }
                let entryLeftInContainer = decoded.entries?.contains { $0.entry != nil } ?? false
                if retainContent && (retainContainers || decoded.entries == nil || entryLeftInContainer) { decoded.bytes = data }
                results.append(decoded)
            }
        }
        return (results, findings)
    }
}

package struct AttachmentFailure: Error {
    package let code: FindingCode
    package let message: String
}

package enum AttachmentDecoding {
    /// Decodes the base64 text of a `ContentTransferEncoded` element where it lies in the source.
    static func decodeBase64(_ element: XMLElement, limits: AttachmentLimits) -> Result<[UInt8], AttachmentFailure> {
        let encodedLength = element.textByteCount
        let capacity = Base64Decoder.maxDecodedLength(encodedLength)
        if encodedLength / 4 * 3 > limits.maxDecodedBytes + 3 {
            return .failure(AttachmentFailure(code: .attachmentTooLarge,
                                              message: "the attachment decodes to about \(encodedLength / 4 * 3) bytes; the limit is \(limits.maxDecodedBytes)"))
        }
        var decoder = Base64Decoder()
        let data = [UInt8](unsafeUninitializedCapacity: max(capacity, 1)) { buffer, initialized in
            let out = buffer.baseAddress!
            var n = 0
            element.withDetachedText { chunk in n += decoder.feed(chunk, into: out + n) }
            n += decoder.finish(into: out + n)
            initialized = n
        }
        if let failure = decoder.failure {
            return .failure(AttachmentFailure(code: .invalidBase64, message: failure.message))
        }
        return .success(data)
    }

    private struct Stop: Error {
        let failure: AttachmentFailure
    }

    /// Opens a ZIP container and digests every entry, enforcing the zip-bomb limits on the declared sizes
    /// and, since headers can lie, on the bytes actually inflated. The reader (`ZipArchive`) checks every
    /// offset and length and always ends, so no archive can trap or stall the process.
    package static func unzip(_ data: some ContiguousBytes, limits: AttachmentLimits, alreadyUncompressed: Int, retain: Bool, digests: Bool = true,
                      retainUpTo: Int = .max) -> Result<([ZipEntryContent], Int), AttachmentFailure> {
        data.withUnsafeBytes { bytes in
            let archive: ZipArchive
            do {
                archive = try ZipArchive(bytes, maxEntries: limits.maxEntries)
            } catch let error as ZipError {
                if error.isBomb { return .failure(AttachmentFailure(code: .zipBomb, message: error.message)) }
                return .failure(AttachmentFailure(code: .invalidZip, message: "the attachment starts like a ZIP file but cannot be read as one: \(error.message)"))
            } catch {
                return .failure(AttachmentFailure(code: .invalidZip, message: "the attachment cannot be read as a ZIP file"))
            }
            var total = alreadyUncompressed
            var entries: [ZipEntryContent] = []
            for entry in archive.entries where entry.kind == .file {
                let declared = entry.uncompressedSize, compressed = entry.compressedSize
                if let failure = checkLimits(size: declared, compressed: compressed, total: total + declared, limits: limits, name: entry.name) {
                    return .failure(failure)
                }
                let digest = Digest(.sha256)
                var crc = CRC32()
                var size = 0
                var head: [UInt8] = []
                var kept: [UInt8] = []
                let keep = retain && declared <= retainUpTo
                if keep { kept.reserveCapacity(declared) }
                do {
                    try ZipArchive.extract(entry, from: bytes) { chunk in
                        size += chunk.count
                        if let failure = checkLimits(size: size, compressed: compressed, total: total + size, limits: limits, name: entry.name) {
                            throw Stop(failure: failure)
                        }
                        if limits.budgetSpent {
                            throw Stop(failure: AttachmentFailure(code: .workBudget, message: "inflating \(entry.name) took longer than the hub's work budget for one document"))
                        }
                        if digests { digest.update(chunk) }
                        crc.update(chunk)
                        if head.count < 16 { head.append(contentsOf: chunk.prefix(16 - head.count)) }
                        if keep { kept.append(contentsOf: chunk) }
                    }
                } catch let stop as Stop {
                    return .failure(stop.failure)
                } catch let error as ZipError {
                    return .failure(AttachmentFailure(code: error.isBomb ? .zipBomb : .invalidZip, message: "entry \(entry.name) cannot be extracted: \(error.message)"))
                } catch {
                    return .failure(AttachmentFailure(code: .invalidZip, message: "entry \(entry.name) cannot be extracted"))
                }
                if crc.value != entry.crc32 {
                    return .failure(AttachmentFailure(code: .invalidZip, message: "entry \(entry.name) is corrupt (CRC-32 mismatch)"))
                }
                total += size
                var content = ZipEntryContent(name: entry.name, size: size, compressedSize: compressed, sha256: digests ? digest.finalize().hexString : "",
                                              sniffedType: ContentSniffer.sniff(head, name: entry.name), bytes: keep ? kept : nil)
                if retain && !keep { content.entry = entry }
                entries.append(content)
            }
            return .success((entries, total))
        }
    }

    static func checkLimits(size: Int, compressed: Int, total: Int, limits: AttachmentLimits, name: String) -> AttachmentFailure? {
        if total > limits.maxUncompressedTotal {
            return AttachmentFailure(code: .zipBomb, message: "ZIP entries expand beyond \(limits.maxUncompressedTotal) bytes (at \(name))")
        }
        if size > limits.ratioFloor, size / max(compressed, 1) > limits.maxRatio {
            return AttachmentFailure(code: .zipBomb, message: "entry \(name) expands more than \(limits.maxRatio) times its compressed size")
        }
        return nil
    }
}
