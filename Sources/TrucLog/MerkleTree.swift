package import TrucCrypto

/// The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0) over SHA-256: leaves hashed with the prefix
/// 0x00, interior nodes with 0x01, the tree of n leaves split at the largest power of two below n. Pure: the
/// hashes of perfect subtrees come from the caller (`subtree(level, index)`: the root of leaves
/// [index·2^level, (index+1)·2^level), level 0 being the leaf hashes), so that a log of millions of entries
/// answers a root or a proof from O(log² n) stored nodes.
package enum MerkleTree {
    /// The hash of an empty tree: SHA-256 of nothing.
    package static let emptyRoot: [UInt8] = Digest.sha256([])

    package static func leafHash(_ entry: [UInt8]) -> [UInt8] { Digest.sha256([0] + entry) }

    package static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(1 + left.count + right.count)
        bytes.append(1)
        bytes += left
        bytes += right
        return Digest.sha256(bytes)
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH of the leaves [start, end) (end > start), from the perfect subtrees `subtree` gives.
    package static func hash(_ start: Int, _ end: Int, subtree: (_ level: Int, _ index: Int) throws -> [UInt8]) rethrows -> [UInt8] {
        let n = end - start
        // A perfect, aligned subtree is stored whole.
        if n & (n - 1) == 0, start % n == 0 { return try subtree(n.trailingZeroBitCount, start / n) }
        let k = split(n)
        return nodeHash(try hash(start, start + k, subtree: subtree), try hash(start + k, end, subtree: subtree))
    }

    /// The root of the tree of `size` leaves.
    package static func root(size: Int, subtree: (_ level: Int, _ index: Int) throws -> [UInt8]) rethrows -> [UInt8] {
        size == 0 ? emptyRoot : try hash(0, size, subtree: subtree)
    }

    /// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), nearest sibling first.
    package static func inclusionProof(index: Int, size: Int, subtree: (_ level: Int, _ index: Int) throws -> [UInt8]) rethrows -> [[UInt8]] {
        precondition(index >= 0 && index < size)
        var path: [[UInt8]] = []
        func walk(_ m: Int, _ start: Int, _ end: Int) throws {
            let n = end - start
            guard n > 1 else { return }
            let k = split(n)
            if m < k {
                try walk(m, start, start + k)
                path.append(try hash(start + k, end, subtree: subtree))
            } else {
                try walk(m - k, start + k, end)
                path.append(try hash(start, start + k, subtree: subtree))
            }
        }
        try walk(index, 0, size)
        return path
    }

    /// The consistency proof between the trees of `old` and `new` leaves (RFC 9162 §2.1.4.1); empty when
    /// old is 0 or equal to new.
    package static func consistencyProof(old: Int, new: Int, subtree: (_ level: Int, _ index: Int) throws -> [UInt8]) rethrows -> [[UInt8]] {
        precondition(old >= 0 && old <= new)
        guard old > 0, old < new else { return [] }
        var proof: [[UInt8]] = []
        func sub(_ m: Int, _ start: Int, _ end: Int, _ whole: Bool) throws {
            let n = end - start
            if m == n {
                if !whole { proof.append(try hash(start, end, subtree: subtree)) }
                return
            }
            let k = split(n)
            if m <= k {
                try sub(m, start, start + k, whole)
                proof.append(try hash(start + k, end, subtree: subtree))
            } else {
                try sub(m - k, start + k, end, false)
                proof.append(try hash(start, start + k, subtree: subtree))
            }
        }
        try sub(old, 0, new, true)
        return proof
    }

    /// The step both verifications share (RFC 9162 §2.1.3.2 and §2.1.4.2): when fn is a right edge that is not a
    /// right child, shift fn and sn right until fn's lowest bit is set or fn is 0.
    static func skipRightEdge(_ fn: inout Int, _ sn: inout Int) {
        guard fn & 1 == 0 else { return }
        repeat {
            fn >>= 1
            sn >>= 1
        } while fn & 1 == 0 && fn != 0
    }

    /// RFC 9162 §2.1.3.2: does `proof` show that `leafHash` is leaf `index` of the tree of `size` leaves with `root`?
    package static func verifyInclusion(leafHash: [UInt8], index: Int, size: Int, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                skipRightEdge(&fn, &sn)
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: is the tree of `new` leaves with `newRoot` an extension of the tree of `old` leaves
    /// with `oldRoot`, by `proof`?
    package static func verifyConsistency(old: Int, new: Int, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]) -> Bool {
        guard old >= 0, old <= new else { return false }
        if old == new { return proof.isEmpty && oldRoot == newRoot }
        if old == 0 { return proof.isEmpty && oldRoot == emptyRoot }
        guard !proof.isEmpty else { return false }
        var path = proof
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = old - 1, sn = new - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                skipRightEdge(&fn, &sn)
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}

/// The perfect subtrees of a list of leaf hashes held in memory (for tests, and for recomputing a whole log).
package struct MerkleLevels: Sendable {
    /// levels[0]: the leaf hashes; levels[k][i]: the root of leaves [i·2^k, (i+1)·2^k), where complete.
    package private(set) var levels: [[[UInt8]]] = [[]]

    package init() {}

    package var size: Int { levels[0].count }

    /// Appends a leaf hash, completing the perfect subtrees it closes.
    package mutating func append(_ leafHash: [UInt8]) {
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = MerkleTree.nodeHash(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    package func subtree(_ level: Int, _ index: Int) -> [UInt8] { levels[level][index] }

    package var root: [UInt8] { MerkleTree.root(size: size, subtree: subtree) }
}

extension MerkleTree {
    /// The perfect-subtree nodes to store when `leafHashes` are appended to a tree of `size` leaves: the leaves
    /// themselves (level 0) and every subtree they complete. `stored(level, index)` gives a node written before
    /// (a left sibling); nodes made by this append are looked up here first.
    package static func appending(_ leafHashes: [[UInt8]], to size: Int64,
                                  stored: (_ level: Int, _ index: Int64) throws -> [UInt8]) rethrows -> [(level: Int, index: Int64, hash: [UInt8])] {
        var made: [(level: Int, index: Int64, hash: [UInt8])] = []
        var fresh: [Int: [Int64: [UInt8]]] = [:]
        var next = size
        for leaf in leafHashes {
            var level = 0, index = next, hash = leaf
            while true {
                made.append((level, index, hash))
                fresh[level, default: [:]][index] = hash
                guard index & 1 == 1 else { break }
                let left = try fresh[level]?[index - 1] ?? stored(level, index - 1)
                hash = nodeHash(left, hash)
                level += 1
                index >>= 1
            }
            next += 1
        }
        return made
    }
}
