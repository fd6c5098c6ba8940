import CairnCore
import Foundation

/// Index records. Every value starts with a format-version byte; the byte grammar is in storage-layout.md.
/// Keys: see `Keys`.

/// The ordered chunks of a blob or part: sha256 digests (32 bytes each, concatenated) and raw lengths.
public struct ChunkList: Sendable, Equatable {
    public private(set) var digests: [UInt8] = []
    public private(set) var lengths: [UInt32] = []

    public init() {}

    public var count: Int { lengths.count }
    public var totalLength: UInt64 { lengths.reduce(0) { $0 + UInt64($1) } }

    public func digest(at i: Int) -> [UInt8] { Array(digests[i * 32..<(i + 1) * 32]) }

    public mutating func append(digest: [UInt8], length: UInt32) {
        precondition(digest.count == 32)
        digests.append(contentsOf: digest)
        lengths.append(length)
    }

    public mutating func append(contentsOf other: ChunkList) {
        digests.append(contentsOf: other.digests)
        lengths.append(contentsOf: other.lengths)
    }

    func encode(into w: inout ByteWriter) {
        w.u32(UInt32(count))
        for i in 0..<count {
            w.raw(digests[i * 32..<(i + 1) * 32])
            w.u32(lengths[i])
        }
    }

    static func decode(_ r: inout ByteReader) throws -> ChunkList {
        var list = ChunkList()
        let n = Int(try r.u32())
        list.digests.reserveCapacity(n * 32)
        list.lengths.reserveCapacity(n)
        for _ in 0..<n {
            list.digests.append(contentsOf: try r.raw(32))
            list.lengths.append(try r.u32())
        }
        return list
    }
}

/// A stored checksum as S3 reports it: base64 value, with a `-N` suffix for a composite multipart checksum.
public struct StoredChecksum: Sendable, Equatable {
    public var algorithm: ChecksumAlgorithm
    public var value: String
    public init(algorithm: ChecksumAlgorithm, value: String) { self.algorithm = algorithm; self.value = value }
    public var isComposite: Bool { value.contains("-") }
    /// How the value was formed: COMPOSITE (`-N`) or FULL_OBJECT (a checksum of all the bytes).
    public var type: MultipartChecksumType { isComposite ? .composite : .fullObject }

    static func encode(_ list: [StoredChecksum], into w: inout ByteWriter) {
        w.u8(UInt8(list.count))
        for c in list { w.string(c.algorithm.rawValue); w.string(c.value) }
    }

    static func decode(_ r: inout ByteReader) throws -> [StoredChecksum] {
        var list: [StoredChecksum] = []
        for _ in 0..<(try r.u8()) { list.append(try decodeOne(&r)) }
        return list
    }

    static func decodeOne(_ r: inout ByteReader) throws -> StoredChecksum {
        let name = try r.string(), value = try r.string()
        guard let algorithm = ChecksumAlgorithm(name: name) else { throw DecodeError(what: "checksum algorithm \(name)") }
        return StoredChecksum(algorithm: algorithm, value: value)
    }
}

/// HTTP headers kept with an object: Content-Type & co. and `x-amz-meta-*`, names lowercase.
public typealias StoredHeaders = [(name: String, value: String)]

private func encodeHeaders(_ headers: StoredHeaders, into w: inout ByteWriter) {
    w.u16(UInt16(headers.count))
    for h in headers { w.string(h.name); w.string(h.value) }
}

private func decodeHeaders(_ r: inout ByteReader) throws -> StoredHeaders {
    var headers: StoredHeaders = []
    for _ in 0..<(try r.u16()) { headers.append((try r.string(), try r.string())) }
    return headers
}

extension Date {
    var milliseconds: UInt64 { UInt64(max(0, (timeIntervalSince1970 * 1000).rounded())) }
    init(milliseconds: UInt64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
}

public struct BucketRecord: Sendable {
    public var name: String
    public var created: Date

    static let version: UInt8 = 1
    func encode() -> [UInt8] { var w = ByteWriter(); w.u8(Self.version); w.u64(created.milliseconds); return w.bytes }
    static func decode(name: String, _ bytes: [UInt8]) throws -> BucketRecord {
        try bytes.decode { r in
            try r.version(version, "bucket")
            return BucketRecord(name: name, created: Date(milliseconds: try r.u64()))
        }
    }
}

/// A blob: whole-content identity (the key, sha256) plus size, md5 and chunk list.
public struct BlobRecord: Sendable, Equatable {
    public var sha256: [UInt8]
    public var size: UInt64
    public var md5: [UInt8]
    public var chunks: ChunkList

    static let version: UInt8 = 1
    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 32 + chunks.count * 36)
        w.u8(Self.version); w.u64(size); w.raw(md5); chunks.encode(into: &w)
        return w.bytes
    }
    static func decode(sha256: [UInt8], _ bytes: [UInt8]) throws -> BlobRecord {
        try bytes.decode { r in
            try r.version(version, "blob")
            return BlobRecord(sha256: sha256, size: try r.u64(), md5: try r.raw(16), chunks: try ChunkList.decode(&r))
        }
    }
}

/// Where a chunk's record lives in the packs.
public struct ChunkLocation: Sendable, Equatable {
    public var pack: UInt64
    public var offset: UInt64
    public var storedLength: UInt32
    public var rawLength: UInt32
    public var compressed: Bool

    static let version: UInt8 = 1
    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 26)
        w.u8(Self.version); w.u64(pack); w.u64(offset); w.u32(storedLength); w.u32(rawLength); w.u8(compressed ? 1 : 0)
        return w.bytes
    }
    static func decode(_ bytes: [UInt8]) throws -> ChunkLocation {
        try bytes.decode { r in
            try r.version(version, "chunk")
            return ChunkLocation(pack: try r.u64(), offset: try r.u64(), storedLength: try r.u32(), rawLength: try r.u32(), compressed: try r.u8() & 1 == 1)
        }
    }
}

/// An object: `bucket/key` → blob plus the S3 fields.
public struct ObjectRecord: Sendable {
    public var key: String
    public var blob: [UInt8]
    public var size: UInt64
    public var md5: [UInt8]
    /// The ETag without quotes: hex md5, or `hex-N` for a multipart upload.
    public var etag: String
    public var modified: Date
    public var headers: StoredHeaders
    public var checksums: [StoredChecksum]
    /// Part sizes for an object made by multipart upload (empty otherwise).
    public var partSizes: [UInt64]
    /// Each part's own checksum, in part order, when the object's checksum was made from them (else empty).
    public var partChecksums: [StoredChecksum]

    public init(key: String, blob: [UInt8], size: UInt64, md5: [UInt8], etag: String, modified: Date, headers: StoredHeaders,
                checksums: [StoredChecksum], partSizes: [UInt64] = [], partChecksums: [StoredChecksum] = []) {
        self.key = key; self.blob = blob; self.size = size; self.md5 = md5; self.etag = etag; self.modified = modified
        self.headers = headers; self.checksums = checksums; self.partSizes = partSizes; self.partChecksums = partChecksums
    }

    /// Version 2 added the part checksums.
    static let version: UInt8 = 2
    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.u8(Self.version); w.string(key); w.raw(blob); w.u64(size); w.raw(md5); w.string(etag); w.u64(modified.milliseconds)
        encodeHeaders(headers, into: &w)
        StoredChecksum.encode(checksums, into: &w)
        w.u32(UInt32(partSizes.count)); for p in partSizes { w.u64(p) }
        w.u32(UInt32(partChecksums.count)); for c in partChecksums { w.string(c.algorithm.rawValue); w.string(c.value) }
        return w.bytes
    }
    static func decode(_ bytes: [UInt8]) throws -> ObjectRecord {
        try bytes.decode { r in
            let v = try r.version(in: 1...version, "object")
            let key = try r.string()
            let blob = try r.raw(32), size = try r.u64(), md5 = try r.raw(16), etag = try r.string()
            let modified = Date(milliseconds: try r.u64())
            let headers = try decodeHeaders(&r)
            let checksums = try StoredChecksum.decode(&r)
            var parts: [UInt64] = []
            for _ in 0..<(try r.u32()) { parts.append(try r.u64()) }
            var partChecksums: [StoredChecksum] = []
            if v >= 2 {
                for _ in 0..<(try r.u32()) { partChecksums.append(try StoredChecksum.decodeOne(&r)) }
            }
            return ObjectRecord(key: key, blob: blob, size: size, md5: md5, etag: etag, modified: modified, headers: headers,
                                checksums: checksums, partSizes: parts, partChecksums: partChecksums)
        }
    }
}

/// An open multipart upload.
public struct UploadRecord: Sendable {
    public var id: String
    public var bucket: String
    public var key: String
    public var created: Date
    public var headers: StoredHeaders
    /// The algorithm named by CreateMultipartUpload, if any.
    public var checksumAlgorithm: ChecksumAlgorithm?
    /// How the object's checksum is made from the parts' (set whenever `checksumAlgorithm` is).
    public var checksumType: MultipartChecksumType?

    /// Version 2 added the checksum type.
    static let version: UInt8 = 2
    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.u8(Self.version); w.string(bucket); w.string(key); w.u64(created.milliseconds)
        encodeHeaders(headers, into: &w)
        w.string(checksumAlgorithm?.rawValue ?? "")
        w.string(checksumType?.rawValue ?? "")
        return w.bytes
    }
    static func decode(id: String, _ bytes: [UInt8]) throws -> UploadRecord {
        try bytes.decode { r in
            let v = try r.version(in: 1...version, "upload")
            let bucket = try r.string(), key = try r.string(), created = Date(milliseconds: try r.u64())
            let headers = try decodeHeaders(&r)
            let algorithm = ChecksumAlgorithm(name: try r.string())
            let type = v >= 2 ? MultipartChecksumType(name: try r.string()) : algorithm.map(MultipartChecksumType.standard(for:))
            return UploadRecord(id: id, bucket: bucket, key: key, created: created, headers: headers, checksumAlgorithm: algorithm, checksumType: type)
        }
    }
}

/// A multipart upload that completed: what a retried CompleteMultipartUpload with the same parts answers.
public struct CompletedUploadRecord: Sendable {
    public var id: String
    public var bucket: String
    public var key: String
    public var completed: Date
    /// The parts named by the completion, in order, with their ETags (lowercase hex, no quotes).
    public var parts: [(number: Int, etag: String)]
    public var etag: String
    public var checksums: [StoredChecksum]

    static let version: UInt8 = 1
    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 128 + parts.count * 40)
        w.u8(Self.version); w.string(bucket); w.string(key); w.u64(completed.milliseconds)
        w.u32(UInt32(parts.count)); for p in parts { w.u32(UInt32(p.number)); w.string(p.etag) }
        w.string(etag)
        StoredChecksum.encode(checksums, into: &w)
        return w.bytes
    }
    static func decode(id: String, _ bytes: [UInt8]) throws -> CompletedUploadRecord {
        try bytes.decode { r in
            try r.version(version, "completed upload")
            let bucket = try r.string(), key = try r.string(), completed = Date(milliseconds: try r.u64())
            var parts: [(number: Int, etag: String)] = []
            for _ in 0..<(try r.u32()) { parts.append((Int(try r.u32()), try r.string())) }
            return CompletedUploadRecord(id: id, bucket: bucket, key: key, completed: completed, parts: parts,
                                         etag: try r.string(), checksums: try StoredChecksum.decode(&r))
        }
    }
}

/// One uploaded part of a multipart upload.
public struct PartRecord: Sendable {
    public var number: Int
    public var size: UInt64
    public var md5: [UInt8]
    public var modified: Date
    public var checksums: [StoredChecksum]
    public var chunks: ChunkList

    public var etag: String { md5.hex }

    static let version: UInt8 = 1
    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + chunks.count * 36)
        w.u8(Self.version); w.u64(size); w.raw(md5); w.u64(modified.milliseconds)
        StoredChecksum.encode(checksums, into: &w)
        chunks.encode(into: &w)
        return w.bytes
    }
    static func decode(number: Int, _ bytes: [UInt8]) throws -> PartRecord {
        try bytes.decode { r in
            try r.version(version, "part")
            return PartRecord(number: number, size: try r.u64(), md5: try r.raw(16), modified: Date(milliseconds: try r.u64()),
                              checksums: try StoredChecksum.decode(&r), chunks: try ChunkList.decode(&r))
        }
    }
}

/// Key encodings of the index databases.
enum Keys {
    /// Object keys longer than this are stored under a truncated, hashed index key (LMDB keys are ≤ 511 bytes).
    static let directKeyLimit = 400

    /// `objects`: bucket UTF-8, 0x00, then the key's UTF-8 if it is at most 400 bytes; a longer key is
    /// its first 400 bytes, 0xFF, and the sha256 of the whole key (the record holds the full key).
    /// Keys never hold NUL or 0xFF, so entries sort by bucket then key bytes, except that long keys
    /// sharing their first 400 bytes sort among themselves by hash (listing re-sorts that group).
    static func object(_ bucket: String, _ key: String) -> [UInt8] {
        let k = Array(key.utf8)
        if k.count <= directKeyLimit { return Array(bucket.utf8) + [0] + k }
        return Array(bucket.utf8) + [0] + k[0..<directKeyLimit] + [0xff] + Hasher.digest(.sha256, k)
    }
    /// `blob-refs`: blob sha256 (32 bytes), then the first 16 bytes of the sha256 of the object's index key
    /// (fixed length: object index keys reach 497 bytes and LMDB keys stop at 511). The value is the object's index key.
    static func blobRef(_ blob: [UInt8], _ objectKey: [UInt8]) -> [UInt8] {
        blob + Hasher.digest(.sha256, objectKey)[0..<16]
    }
    /// `parts`: upload id UTF-8, 0x00, part number as u32 big-endian.
    static func part(_ upload: String, _ number: Int) -> [UInt8] {
        var w = ByteWriter(); w.raw(Array(upload.utf8)); w.u8(0); w.u32(UInt32(number)); return w.bytes
    }
}
