/// The binary bodies of the native dedupe API (native-api.md), shared by the server and the CLI.
/// Integers are little-endian; digests are 32 raw sha256 bytes.

public struct WireError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

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

/// One chunk on the wire: `digest[32] | raw_length u32 | stored_length u32 | encoding u8 | payload`.
public enum ChunkFrame {
    public static let headerLength = 41
    public static let encodingRaw: UInt8 = 0
    public static let encodingZstd: UInt8 = 1

    public static func appendHeader(to out: inout [UInt8], digest: [UInt8], rawLength: Int, storedLength: Int, zstd: Bool) {
        out.append(contentsOf: digest)
        out.appendLE(UInt32(rawLength))
        out.appendLE(UInt32(storedLength))
        out.append(zstd ? encodingZstd : encodingRaw)
    }

    public struct Header: Sendable, Equatable {
        public var digest: [UInt8]
        public var rawLength: Int
        public var storedLength: Int
        public var zstd: Bool
    }

    public static func parseHeader(_ bytes: UnsafeRawBufferPointer, maxChunk: Int) throws -> Header {
        var r = WireReader(bytes, offset: 0)
        let digest = Array(try r.take(32))
        let raw = Int(try r.u32()), stored = Int(try r.u32())
        let encoding = try r.u8()
        guard encoding <= encodingZstd else { throw WireError("unknown chunk encoding \(encoding)") }
        guard raw > 0, raw <= maxChunk else { throw WireError("chunk length \(raw) is outside 1...\(maxChunk)") }
        guard stored > 0, stored <= ZstdCompressor.bound(maxChunk) else { throw WireError("stored chunk length \(stored) is too large") }
        if encoding == encodingRaw && stored != raw { throw WireError("raw chunk with stored length \(stored) ≠ raw length \(raw)") }
        return Header(digest: digest, rawLength: raw, storedLength: stored, zstd: encoding == encodingZstd)
    }
}

/// Splits a byte stream into chunk frames as bytes arrive (bodies are streamed, never collected whole).
public struct ChunkFrameDecoder {
    private var buffer: [UInt8] = []
    private var header: ChunkFrame.Header?
    private let maxChunk: Int

    public init(maxChunk: Int) { self.maxChunk = maxChunk }

    /// Feeds bytes; calls `emit` with each complete frame's header and payload.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (ChunkFrame.Header, UnsafeRawBufferPointer) throws -> Void) throws {
        buffer.append(contentsOf: bytes)
        var start = 0
        defer { if start > 0 { buffer.removeFirst(start) } }
        while true {
            let available = buffer.count - start
            if header == nil {
                guard available >= ChunkFrame.headerLength else { return }
                header = try buffer.withUnsafeBytes { try ChunkFrame.parseHeader(UnsafeRawBufferPointer(rebasing: $0[start..<start + ChunkFrame.headerLength]), maxChunk: maxChunk) }
                start += ChunkFrame.headerLength
                continue
            }
            let h = header!
            guard buffer.count - start >= h.storedLength else { return }
            try buffer.withUnsafeBytes { try emit(h, UnsafeRawBufferPointer(rebasing: $0[start..<start + h.storedLength])) }
            start += h.storedLength
            header = nil
        }
    }

    /// True when the stream ended on a frame boundary.
    public var isAtBoundary: Bool { header == nil && buffer.isEmpty }
}

/// Little-endian reads over a buffer with bounds checks.
public struct WireReader {
    let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    public mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, offset + n <= bytes.count else { throw WireError("body is truncated at byte \(offset)") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
    }

    public mutating func u8() throws -> UInt8 { try take(1)[0] }
    public mutating func u16() throws -> UInt16 { try take(2).reversed().reduce(0) { $0 << 8 | UInt16($1) } }
    public mutating func u32() throws -> UInt32 { try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    public mutating func u64() throws -> UInt64 { try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
}

extension Array where Element == UInt8 {
    public mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
