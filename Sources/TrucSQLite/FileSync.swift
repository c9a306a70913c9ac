import CSQLite
#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two POSIX calls the store's durability rests on, spelt once for each platform.
package enum FileSync {
    /// Makes what was written to `fd` durable: `fdatasync(2)` on Linux; on Darwin, where `fsync` stops at the
    /// drive's cache, `F_FULLFSYNC`. Returns 0, or -1 with `errno` set.
    package static func data(_ fd: Int32) -> Int32 {
        #if canImport(Darwin)
        return fcntl(fd, F_FULLFSYNC)
        #else
        return fdatasync(fd)
        #endif
    }

    /// Gives the blocks of a byte range of a file back to the file system, the file keeping its length (a hole
    /// reads as zeros). Returns 0, or -1 with `errno` set. (Not on Darwin: nothing is freed there.)
    package static func punchHole(_ fd: Int32, offset: Int64, length: Int64) -> Int32 {
        truc_punch_hole(fd, offset, length)
    }

    /// `open(2)` (a type's own `open` method would otherwise hide it).
    package static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Int32 {
        #if canImport(Darwin)
        return Darwin.open(path, flags, mode)
        #else
        return Glibc.open(path, flags, mode)
        #endif
    }
}
