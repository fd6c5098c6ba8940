import Foundation

// The answers of the maintenance jobs (`POST /api/v1/admin/gc`, `scrub`, `fsck`; native-api.md). The store
// fills them in; they are API values, never stored on disk.

/// What one collection found and did.
public struct GCReport: Sendable, Codable, Equatable {
    public var dryRun = false
    public var startedAt = Date()
    public var seconds = 0.0
    public var planSeconds = 0.0
    public var graceSeconds = 0.0
    public var totalChunks = 0
    public var totalBlobs = 0
    public var markedChunks = 0
    public var markedBlobs = 0
    /// Unreferenced entries spared because their pack is within the grace period.
    public var graceChunks = 0
    public var candidateChunks = 0
    public var candidateChunkBytes = 0
    public var candidateBlobs = 0
    /// Candidates referenced again after planning (a dedupe hit, a new object or version), kept.
    public var revived = 0
    public var freedChunks = 0
    public var freedBlobs = 0
    public var expiredSessions = 0
    public var abortedUploads = 0
    public var packs = 0
    public var packsToDelete = 0
    public var packsToCompact = 0
    public var packsDeleted = 0
    public var packsCompacted = 0
    public var chunksMoved = 0
    /// Records compaction found corrupt and left in place (scrub reports them).
    public var corruptChunks = 0
    public var packBytesBefore = 0
    public var packBytesAfter = 0
    public var bytesFreed = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run", startedAt = "started_at", seconds, planSeconds = "plan_seconds", graceSeconds = "grace_seconds"
        case totalChunks = "total_chunks", totalBlobs = "total_blobs", markedChunks = "marked_chunks", markedBlobs = "marked_blobs"
        case graceChunks = "grace_chunks", candidateChunks = "candidate_chunks", candidateChunkBytes = "candidate_chunk_bytes"
        case candidateBlobs = "candidate_blobs", revived, freedChunks = "freed_chunks", freedBlobs = "freed_blobs"
        case expiredSessions = "expired_sessions", abortedUploads = "aborted_uploads", packs, packsToDelete = "packs_to_delete"
        case packsToCompact = "packs_to_compact", packsDeleted = "packs_deleted", packsCompacted = "packs_compacted"
        case chunksMoved = "chunks_moved", corruptChunks = "corrupt_chunks", packBytesBefore = "pack_bytes_before"
        case packBytesAfter = "pack_bytes_after", bytesFreed = "bytes_freed"
    }
}

/// A chunk scrub found corrupt, and where.
public struct CorruptChunk: Sendable, Codable, Equatable {
    public var digest: String
    public var pack: String
    public var offset: UInt64
    public var reason: String

    public init(digest: String, pack: String, offset: UInt64, reason: String) {
        self.digest = digest
        self.pack = pack
        self.offset = offset
        self.reason = reason
    }
}

/// An object or model version whose content includes a corrupt chunk.
public struct AffectedObject: Sendable, Codable, Equatable, Hashable {
    public var bucket: String
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }
}

public struct AffectedVersion: Sendable, Codable, Equatable, Hashable {
    public var model: String
    public var version: Int
    public var path: String

    public init(model: String, version: Int, path: String) {
        self.model = model
        self.version = version
        self.path = path
    }
}

/// What one scrub read and found.
public struct ScrubReport: Sendable, Codable, Equatable {
    public var startedAt = Date()
    public var seconds = 0.0
    public var chunksChecked = 0
    /// Bytes read from packs (stored form) and bytes verified after decompression.
    public var storedBytes = 0
    public var rawBytes = 0
    public var corrupt: [CorruptChunk] = []
    public var quarantined = 0
    public var affectedObjects: [AffectedObject] = []
    public var affectedVersions: [AffectedVersion] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case startedAt = "started_at", seconds, chunksChecked = "chunks_checked", storedBytes = "stored_bytes", rawBytes = "raw_bytes"
        case corrupt, quarantined, affectedObjects = "affected_objects", affectedVersions = "affected_versions"
    }
}

/// What fsck checked and found.
public struct FsckReport: Sendable, Codable, Equatable {
    public var chunks = 0
    public var blobs = 0
    public var objects = 0
    public var versions = 0
    public var packs = 0
    /// Chunk index entries whose pack is missing, too short, or holds another record at that offset.
    public var badChunkEntries = 0
    /// References to chunks the index lacks (by blobs and parts), not counting quarantined ones.
    public var missingChunks = 0
    public var quarantinedReferences = 0
    /// Objects and version files whose blob the index lacks.
    public var missingBlobs = 0
    public var badMD5Entries = 0
    public var blobRefMismatches = 0
    /// Chunk index entries added from the packs' records (with rebuild).
    public var rebuiltChunks = 0
    public var problems: [String] = []
    public init() {}

    public var consistent: Bool { badChunkEntries == 0 && missingChunks == 0 && missingBlobs == 0 && badMD5Entries == 0 && blobRefMismatches == 0 }

    enum CodingKeys: String, CodingKey {
        case chunks, blobs, objects, versions, packs, badChunkEntries = "bad_chunk_entries", missingChunks = "missing_chunks"
        case quarantinedReferences = "quarantined_references", missingBlobs = "missing_blobs", badMD5Entries = "bad_md5_entries"
        case blobRefMismatches = "blob_ref_mismatches", rebuiltChunks = "rebuilt_chunks", problems, consistent
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(chunks, forKey: .chunks); try c.encode(blobs, forKey: .blobs); try c.encode(objects, forKey: .objects)
        try c.encode(versions, forKey: .versions); try c.encode(packs, forKey: .packs); try c.encode(badChunkEntries, forKey: .badChunkEntries)
        try c.encode(missingChunks, forKey: .missingChunks); try c.encode(quarantinedReferences, forKey: .quarantinedReferences)
        try c.encode(missingBlobs, forKey: .missingBlobs); try c.encode(badMD5Entries, forKey: .badMD5Entries)
        try c.encode(blobRefMismatches, forKey: .blobRefMismatches); try c.encode(rebuiltChunks, forKey: .rebuiltChunks)
        try c.encode(problems, forKey: .problems); try c.encode(consistent, forKey: .consistent)
    }

    /// `consistent` is derived from the counts, so it is not read back.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        chunks = try c.decode(Int.self, forKey: .chunks); blobs = try c.decode(Int.self, forKey: .blobs)
        objects = try c.decode(Int.self, forKey: .objects); versions = try c.decode(Int.self, forKey: .versions)
        packs = try c.decode(Int.self, forKey: .packs); badChunkEntries = try c.decode(Int.self, forKey: .badChunkEntries)
        missingChunks = try c.decode(Int.self, forKey: .missingChunks); quarantinedReferences = try c.decode(Int.self, forKey: .quarantinedReferences)
        missingBlobs = try c.decode(Int.self, forKey: .missingBlobs); badMD5Entries = try c.decode(Int.self, forKey: .badMD5Entries)
        blobRefMismatches = try c.decode(Int.self, forKey: .blobRefMismatches); rebuiltChunks = try c.decode(Int.self, forKey: .rebuiltChunks)
        problems = try c.decode([String].self, forKey: .problems)
    }

}
