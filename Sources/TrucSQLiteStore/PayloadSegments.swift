package import TrucStore
import Foundation
import TrucSQLite
#if canImport(Glibc)
import Glibc
#endif

/// Payloads too large for the database, appended to segment files (`payloads/00000001.seg`, …, up to
/// `segmentLimit` bytes each) and made durable with one `fdatasync` for all the appends that finished
/// before it started: concurrent intakes share syncs, and no file is created, renamed or directory-synced
/// per message. A payload is located by `segment:NAME:OFFSET:LENGTH`.
///
/// Bytes appended by a message whose transaction never committed (a crash in between) stay unreferenced in
/// the segment; appends after a restart go after them.
final class PayloadSegments: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let prefix = "segment:"
    let directory: String
    let segmentLimit: Int

    private let lock = NSCondition()
    private var fd: Int32 = -1
    private var name = ""
    private var end = 0
    /// Appends finished (counted in order of finishing) and the count the last completed sync covered.
    private var finished = 0
    private var synced = 0
    private var syncing = false
    /// Appends between reserving their bytes and finishing their write.
    private var writers = 0

    init(directory: String, segmentLimit: Int = 1 << 30) throws {
        self.directory = directory
        self.segmentLimit = segmentLimit
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let last = existing.filter { $0.hasSuffix(".seg") }.sorted().last
        try open(last ?? Self.segmentName(1))
    }

    deinit { if fd >= 0 { close(fd) } }

    static func segmentName(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".seg"
    }

    /// Appends `bytes` and returns once they are on disk, with their location. Blocks: call off the
    /// cooperative pool.
    func append(_ bytes: [UInt8]) throws -> String {
        lock.lock()
        if end > 0 && end + bytes.count > segmentLimit { try roll() }
        let (fd, name, offset) = (self.fd, self.name, end)
        end += bytes.count
        writers += 1
        lock.unlock()
        var written = 0
        var failure: Failure?
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = pwrite(fd, raw.baseAddress! + written, raw.count - written, off_t(offset + written))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    failure = Failure(description: "cannot append to payload segment \(name): \(String(cString: strerror(errno)))")
                    return
                }
                written += n
            }
        }
        lock.lock()
        defer { lock.unlock() }
        writers -= 1
        lock.broadcast()
        if let failure { throw failure }
        finished += 1
        try waitForSync(covering: finished)
        return "\(Self.prefix)\(name):\(offset):\(bytes.count)"
    }

    /// Waits (holding the lock) for a sync that started after append number `mine` finished, running one
    /// if none is running.
    private func waitForSync(covering mine: Int) throws {
        while synced < mine {
            if syncing {
                lock.wait()
                continue
            }
            syncing = true
            let target = finished
            let fd = self.fd
            lock.unlock()
            let ok = FileSync.data(fd) == 0
            let reason = ok ? "" : String(cString: strerror(errno))
            lock.lock()
            syncing = false
            lock.broadcast()
            guard ok else { throw Failure(description: "fdatasync of payload segment \(name) failed: \(reason)") }
            synced = max(synced, target)
        }
    }

    /// The segment a location names, with the byte range.
    static func parse(_ location: String) -> (segment: String, offset: Int, length: Int)? {
        guard location.hasPrefix(prefix) else { return nil }
        let parts = location.dropFirst(prefix.count).split(separator: ":")
        guard parts.count == 3, let offset = Int(parts[1]), let length = Int(parts[2]), offset >= 0, length >= 0, !parts[0].contains("/") else { return nil }
        return (String(parts[0]), offset, length)
    }

    /// Segments whose payloads were punched out since the last `removeEmpty` (candidates for removal).
    private var touched: Set<String> = []

    /// Frees the bytes of purged payloads: each range is punched out of its segment (the file keeps its length; the
    /// blocks go back to the file system, and reads of other payloads are unchanged). Blocks: call off the
    /// cooperative pool. Answers the bytes punched out.
    func release(_ locations: [String]) throws -> Int64 {
        var freed: Int64 = 0
        for location in locations {
            guard let (segment, offset, length) = Self.parse(location), length > 0 else { continue }
            let path = directory + "/" + segment
            let fd = FileSync.open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue } // removed already
            defer { close(fd) }
            guard FileSync.punchHole(fd, offset: Int64(offset), length: Int64(length)) == 0 else {
                throw Failure(description: "cannot free \(length) bytes of payload segment \(segment): \(String(cString: strerror(errno)))")
            }
            freed += Int64(length)
            lock.lock()
            touched.insert(segment)
            lock.unlock()
        }
        return freed
    }

    /// Removes the segments punched since the last call, other than the current one, in which `live` finds no
    /// message's payload any more (one scan of the messages per segment: called once per purge round). Blocks.
    func removeEmpty(live: (String) throws -> Bool) throws -> Int {
        lock.lock()
        let candidates = touched.subtracting([name])
        touched.subtract(candidates)
        lock.unlock()
        var removed = 0
        for segment in candidates.sorted() where try !live(segment) {
            if unlink(directory + "/" + segment) == 0 { removed += 1 }
        }
        return removed
    }

    /// Reads a payload by its location.
    static func read(_ location: String, directory: String) throws -> [UInt8] {
        let parts = location.dropFirst(prefix.count).split(separator: ":")
        guard parts.count == 3, let offset = Int(parts[1]), let length = Int(parts[2]), !parts[0].contains("/") else {
            throw Failure(description: "malformed payload location \(location)")
        }
        let path = directory + "/" + parts[0]
        let fd = FileSync.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        try bytes.withUnsafeMutableBytes { raw in
            while done < length {
                let n = pread(fd, raw.baseAddress! + done, length - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw Failure(description: "payload \(location) is cut short in \(path)") }
                done += n
            }
        }
        return bytes
    }

    /// Opens (creating) a segment, appending after what it holds; a new file's directory entry is synced.
    private func open(_ segment: String) throws {
        let path = directory + "/" + segment
        let created = !FileManager.default.fileExists(atPath: path)
        let fd = FileSync.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "cannot open payload segment \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw Failure(description: "cannot stat payload segment \(path): \(String(cString: strerror(errno)))")
        }
        if created {
            let dfd = FileSync.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 {
                fsync(dfd)
                close(dfd)
            }
        }
        self.fd = fd
        self.name = segment
        self.end = Int(info.st_size)
    }

    /// Starts the next segment (under the lock), once no write or sync uses the current one: it is synced
    /// (which covers every finished append) and closed.
    private func roll() throws {
        while syncing || writers > 0 { lock.wait() }
        let previous = fd
        guard FileSync.data(previous) == 0 else { throw Failure(description: "fdatasync of payload segment \(name) failed: \(String(cString: strerror(errno)))") }
        let number = Int(name.dropLast(4)) ?? 0
        try open(Self.segmentName(number + 1))
        synced = finished
        close(previous)
    }
}
