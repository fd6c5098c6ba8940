import CairnCore

/// One file's content as the dedupe protocol names it: ordered chunks plus whole-content digests.
public struct Manifest: Sendable, Equatable {
    public static let magic: [UInt8] = Array("CMF1".utf8)
    public static let headerLength = 4 + 8 + 32 + 16 + 4
    public static let entryLength = 36

    public var size: UInt64
    public var sha256: [UInt8]
    public var md5: [UInt8]
    /// Concatenated chunk digests, 32 bytes each.
    public var digests: [UInt8]
    public var lengths: [UInt32]

    public init(size: UInt64, sha256: [UInt8], md5: [UInt8], digests: [UInt8], lengths: [UInt32]) {
        self.size = size
        self.sha256 = sha256
        self.md5 = md5
        self.digests = digests
        self.lengths = lengths
    }

    public var count: Int { lengths.count }
    public func digest(at i: Int) -> [UInt8] { Array(digests[i * 32..<(i + 1) * 32]) }
    public var encodedLength: Int { Self.headerLength + count * Self.entryLength }

    public func encode(into out: inout [UInt8]) {
        out.reserveCapacity(out.count + encodedLength)
        out.append(contentsOf: Self.magic)
        out.appendLE(size)
        out.append(contentsOf: sha256)
        out.append(contentsOf: md5)
        out.appendLE(UInt32(count))
        for i in 0..<count {
            out.append(contentsOf: digests[i * 32..<(i + 1) * 32])
            out.appendLE(lengths[i])
        }
    }

    /// Decodes a manifest at `offset`, advancing it. Checks structure (lengths sum to size, digest sizes);
    /// `maxChunk` bounds each chunk's length.
    public static func decode(_ bytes: UnsafeRawBufferPointer, offset: inout Int, maxChunk: Int) throws -> Manifest {
        var r = WireReader(bytes, offset: offset)
        guard try r.take(4).elementsEqual(magic) else { throw WireError("manifest does not start with CMF1") }
        let size = try r.u64()
        let sha256 = Array(try r.take(32)), md5 = Array(try r.take(16))
        let count = Int(try r.u32())
        guard count <= (bytes.count - r.offset) / entryLength else { throw WireError("manifest is truncated: \(count) chunks announced") }
        var digests: [UInt8] = [], lengths: [UInt32] = []
        digests.reserveCapacity(count * 32)
        lengths.reserveCapacity(count)
        var total: UInt64 = 0
        for _ in 0..<count {
            digests.append(contentsOf: try r.take(32))
            let length = try r.u32()
            guard length > 0, length <= maxChunk else { throw WireError("manifest chunk length \(length) is outside 1...\(maxChunk)") }
            lengths.append(length)
            total += UInt64(length)
        }
        guard total == size else { throw WireError("manifest chunk lengths sum to \(total), not the declared size \(size)") }
        offset = r.offset
        return Manifest(size: size, sha256: sha256, md5: md5, digests: digests, lengths: lengths)
    }
}

/// A named manifest: a commit entry or a listing entry (`key_length u16 | key | manifest`).
public struct KeyedManifest: Sendable, Equatable {
    public var key: String
    public var manifest: Manifest

    public init(key: String, manifest: Manifest) {
        self.key = key
        self.manifest = manifest
    }

    public func encode(into out: inout [UInt8]) {
        let k = Array(key.utf8)
        out.appendLE(UInt16(k.count))
        out.append(contentsOf: k)
        manifest.encode(into: &out)
    }

    public static func decodeAll(_ bytes: [UInt8], maxChunk: Int, limit: Int = .max) throws -> [KeyedManifest] {
        try bytes.withUnsafeBytes { p in
            var entries: [KeyedManifest] = []
            var offset = 0
            while offset < p.count {
                guard entries.count < limit else { throw WireError("more than \(limit) entries") }
                var r = WireReader(p, offset: offset)
                let n = Int(try r.u16())
                guard let key = String(validating: try r.take(n), as: UTF8.self) else { throw WireError("key is not UTF-8") }
                offset = r.offset
                entries.append(KeyedManifest(key: key, manifest: try Manifest.decode(p, offset: &offset, maxChunk: maxChunk)))
            }
            return entries
        }
    }
}

