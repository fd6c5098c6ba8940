import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A chunk scrub found corrupt, and where.
public struct CorruptChunk: Sendable, Codable, Equatable {
    public var digest: String
    public var pack: String
    public var offset: UInt64
    public var reason: String
}

/// An object or model version whose content includes a corrupt chunk.
public struct AffectedObject: Sendable, Codable, Equatable, Hashable {
    public var bucket: String
    public var key: String
}

public struct AffectedVersion: Sendable, Codable, Equatable, Hashable {
    public var model: String
    public var version: Int
    public var path: String
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

    enum CodingKeys: String, CodingKey {
        case startedAt = "started_at", seconds, chunksChecked = "chunks_checked", storedBytes = "stored_bytes", rawBytes = "raw_bytes"
        case corrupt, quarantined, affectedObjects = "affected_objects", affectedVersions = "affected_versions"
    }
}

/// What fsck checked and found.
public struct FsckReport: Sendable, Encodable, Equatable {
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

    mutating func problem(_ text: String) { if problems.count < 100 { problems.append(text) } }
}

extension Store {
    // MARK: Scrub

    /// Re-reads every indexed chunk and verifies its sha256. A corrupt chunk is quarantined: moved from
    /// `chunks` to `quarantine`, so reads fail with a clear error instead of serving it, and a later upload
    /// of the same bytes stores a good copy. Reports the objects and model versions that include it.
    public func scrub() async throws -> ScrubReport {
        try collector.begin("scrub")
        do {
            let report = try await runScrub()
            collector.end(scrub: report)
            return report
        } catch {
            collector.end(error: error)
            throw error
        }
    }

    private func runScrub() async throws -> ScrubReport {
        var report = ScrubReport()
        let started = Date()
        let db = self.db
        // In pack order, so reads are sequential on disk.
        var entries: [(digest: [UInt8], location: ChunkLocation)] = []
        try environment.read { txn in
            try txn.scan(db.chunks, from: []) { key, value in
                entries.append((Array(key), try ChunkLocation.decode(Array(value))))
                return true
            }
        }
        entries.sort { ($0.location.pack, $0.location.offset) < ($1.location.pack, $1.location.offset) }
        let checked = try await onOwnThread { () -> (ScrubReport, [(digest: [UInt8], location: ChunkLocation, reason: String)]) in
            var r = ScrubReport()
            var bad: [(digest: [UInt8], location: ChunkLocation, reason: String)] = []
            let verifier = RecordVerifier(maxChunk: self.chunkerParameters.maxSize)
            for (digest, location) in entries {
                r.chunksChecked += 1
                r.storedBytes += Int(location.storedLength)
                r.rawBytes += Int(location.rawLength)
                if let reason = verifier.check(self.packs, digest, location) { bad.append((digest, location, reason)) }
            }
            return (r, bad)
        }
        report = checked.0
        report.startedAt = started
        let bad = checked.1
        if !bad.isEmpty {
            // Quarantine the entries that still point at the bad record (a concurrent upload may have fixed one).
            report.quarantined = try await committer.write { txn in
                var n = 0
                for b in bad {
                    guard let now = try txn.get(db.chunks, b.digest), try ChunkLocation.decode(now) == b.location else { continue }
                    try txn.delete(db.chunks, b.digest)
                    var w = ByteWriter(); w.raw(b.location.encode()); w.string(b.reason)
                    try txn.put(db.quarantine, b.digest, w.bytes)
                    n += 1
                }
                return n
            }
            report.corrupt = bad.map { CorruptChunk(digest: $0.digest.hex, pack: PackStore.fileName($0.location.pack), offset: $0.location.offset, reason: $0.reason) }
            (report.affectedObjects, report.affectedVersions) = try affected(by: Set(bad.map { Digest32($0.digest) }))
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The objects and version files whose blobs include any of these chunks.
    func affected(by chunks: Set<Digest32>) throws -> ([AffectedObject], [AffectedVersion]) {
        var blobs: Set<[UInt8]> = []
        var objects: [AffectedObject] = [], versions: [AffectedVersion] = []
        try environment.read { txn in
            try txn.scan(db.blobs, from: []) { key, value in
                let record = try BlobRecord.decode(sha256: Array(key), Array(value))
                let hit = record.chunks.digests.withUnsafeBytes { p in
                    (0..<record.chunks.count).contains { chunks.contains(Digest32(UnsafeRawBufferPointer(rebasing: p[$0 * 32..<($0 + 1) * 32]))) }
                }
                if hit { blobs.insert(Array(key)) }
                return true
            }
            try txn.scan(db.versions, from: []) { _, value in
                let v = try RecordJSON.decode(VersionRecord.self, Array(value))
                for f in v.files where decodeHex(f.sha256).map({ blobs.contains($0) }) == true {
                    versions.append(AffectedVersion(model: v.model, version: v.version, path: f.path))
                }
                return true
            }
        }
        for blob in blobs {
            objects += try self.objects(withBlob: blob, limit: 10_000).map { AffectedObject(bucket: $0.bucket, key: $0.key) }
        }
        return (objects.sorted { ($0.bucket, $0.key) < ($1.bucket, $1.key) }, versions)
    }

    // MARK: fsck

    /// Checks the index against the packs and itself. With `rebuildChunkIndex`, first adds an index entry
    /// for every verified pack record whose chunk the index lacks (recovering a lost or damaged `chunks`).
    public func fsck(rebuildChunkIndex: Bool = false) async throws -> FsckReport {
        try collector.begin("fsck")
        do {
            let report = try await runFsck(rebuildChunkIndex: rebuildChunkIndex)
            collector.end()
            return report
        } catch {
            collector.end(error: error)
            throw error
        }
    }

    private func runFsck(rebuildChunkIndex: Bool) async throws -> FsckReport {
        var report = FsckReport()
        if rebuildChunkIndex { report.rebuiltChunks = try await rebuildChunks() }
        let db = self.db
        let packFiles = Dictionary(uniqueKeysWithValues: try packs.list().map { ($0.id, $0.size) })
        report.packs = packFiles.count
        report = try await onOwnThread { [report] in
            var r = report
            let header = UnsafeMutableRawBufferPointer.allocate(byteCount: PackFormat.recordHeaderLength, alignment: 16)
            defer { header.deallocate() }
            try self.environment.read { txn in
                try txn.scan(db.chunks, from: []) { key, value in
                    r.chunks += 1
                    let location = try ChunkLocation.decode(Array(value))
                    guard let size = packFiles[location.pack] else {
                        r.badChunkEntries += 1
                        r.problem("chunk \(Array(key).hex): pack \(PackStore.fileName(location.pack)) does not exist")
                        return true
                    }
                    guard Int(location.offset) + PackFormat.recordHeaderLength + Int(location.storedLength) <= size,
                          (try? self.packs.readHeader(location, into: header)) != nil,
                          Array(header[0..<4]) == PackFormat.recordMagic, Array(header[8..<40]) == Array(key) else {
                        r.badChunkEntries += 1
                        r.problem("chunk \(Array(key).hex): no matching record at \(PackStore.fileName(location.pack))+\(location.offset)")
                        return true
                    }
                    return true
                }
                func checkChunks(_ list: ChunkList, _ owner: String) throws {
                    for i in 0..<list.count {
                        let d = list.digest(at: i)
                        if try txn.contains(db.chunks, d) { continue }
                        if try txn.contains(db.quarantine, d) { r.quarantinedReferences += 1; continue }
                        r.missingChunks += 1
                        r.problem("\(owner): chunk \(d.hex) is not in the index")
                    }
                }
                try txn.scan(db.blobs, from: []) { key, value in
                    r.blobs += 1
                    try checkChunks(try BlobRecord.decode(sha256: Array(key), Array(value)).chunks, "blob \(Array(key).hex)")
                    return true
                }
                try txn.scan(db.parts, from: []) { key, value in
                    try checkChunks(try PartRecord.decode(number: 0, Array(value)).chunks, "multipart part")
                    return true
                }
                var refs = 0
                try txn.scan(db.objects, from: []) { key, value in
                    r.objects += 1
                    let record = try ObjectRecord.decode(Array(value))
                    if try !txn.contains(db.blobs, record.blob) {
                        r.missingBlobs += 1
                        r.problem("object \(record.key): blob \(record.blob.hex) is not in the index")
                    }
                    if try !txn.contains(db.blobRefs, Keys.blobRef(record.blob, Array(key))) {
                        r.blobRefMismatches += 1
                        r.problem("object \(record.key): no blob-refs entry")
                    }
                    return true
                }
                try txn.scan(db.blobRefs, from: []) { _, _ in refs += 1; return true }
                if refs != r.objects {
                    r.blobRefMismatches += abs(refs - r.objects)
                    r.problem("blob-refs has \(refs) entries for \(r.objects) objects")
                }
                try txn.scan(db.versions, from: []) { _, value in
                    r.versions += 1
                    let v = try RecordJSON.decode(VersionRecord.self, Array(value))
                    for f in v.files where try decodeHex(f.sha256).map({ try !txn.contains(db.blobs, $0) }) ?? true {
                        r.missingBlobs += 1
                        r.problem("\(v.model)@\(v.version) \(f.path): blob \(f.sha256) is not in the index")
                    }
                    return true
                }
                try txn.scan(db.md5, from: []) { key, value in
                    if try !txn.contains(db.blobs, Array(value)) {
                        r.badMD5Entries += 1
                        r.problem("md5 \(Array(key).hex) names a blob the index lacks")
                    }
                    return true
                }
            }
            return r
        }
        return report
    }

    /// Indexes every verified pack record whose chunk the index lacks; returns how many it added.
    private func rebuildChunks() async throws -> Int {
        let files = try packs.list().sorted { $0.id < $1.id }
        let db = self.db
        var found: [(digest: [UInt8], location: ChunkLocation)] = []
        try await onOwnThread {
            let verifier = RecordVerifier(maxChunk: self.chunkerParameters.maxSize)
            for file in files {
                try self.packs.forEachRecord(file.id, size: file.size) { digest, location in
                    let known = try self.environment.read { txn in try txn.contains(db.chunks, digest) }
                    if !known, verifier.check(self.packs, digest, location) == nil { found.append((digest, location)) }
                }
            }
        }
        let entries = found
        return try await committer.write { txn in
            var added = 0
            for e in entries where try txn.put(db.chunks, e.digest, e.location.encode(), onlyIfAbsent: true) {
                _ = try txn.delete(db.quarantine, e.digest)
                added += 1
            }
            return added
        }
    }
}

/// Reads a pack record and checks it: header, decompression, sha256. Reuses its buffers.
final class RecordVerifier {
    private var record: UnsafeMutableRawBufferPointer
    private let raw: UnsafeMutableRawBufferPointer
    private let decompressor = ZstdDecompressor()

    init(maxChunk: Int) {
        record = .allocate(byteCount: PackFormat.recordHeaderLength + ZstdCompressor.bound(maxChunk), alignment: 16)
        raw = .allocate(byteCount: maxChunk, alignment: 16)
    }

    deinit {
        record.deallocate()
        raw.deallocate()
    }

    /// Nil when the record at `location` holds `digest`'s bytes; otherwise why not.
    func check(_ packs: PackStore, _ digest: [UInt8], _ location: ChunkLocation) -> String? {
        let needed = PackFormat.recordHeaderLength + Int(location.storedLength)
        guard needed <= record.count, Int(location.rawLength) <= raw.count else { return "record lengths exceed the chunk size limit" }
        do { try packs.readRecord(location, into: record) } catch { return "unreadable: \(error)" }
        guard Array(record[0..<4]) == PackFormat.recordMagic, Array(record[8..<40]) == digest else { return "the record header does not name this chunk" }
        let payload = UnsafeRawBufferPointer(rebasing: record[PackFormat.recordHeaderLength..<needed])
        let out = UnsafeMutableRawBufferPointer(rebasing: raw[0..<Int(location.rawLength)])
        if location.compressed {
            do { try decompressor.decompress(payload, into: out) } catch { return "zstd: \(error)" }
        } else {
            guard payload.count == out.count else { return "length mismatch" }
            out.copyMemory(from: payload)
        }
        guard Hasher.digest(.sha256, UnsafeRawBufferPointer(out)) == digest else { return "sha256 mismatch" }
        return nil
    }
}

extension PackStore {
    /// Reads the 48-byte record header at `location`.
    func readHeader(_ location: ChunkLocation, into buffer: UnsafeMutableRawBufferPointer) throws {
        try readRecord(ChunkLocation(pack: location.pack, offset: location.offset, storedLength: 0, rawLength: 0, compressed: false), into: buffer)
    }

    /// Visits every well-formed record of a pack in order (the packs' records describe themselves).
    func forEachRecord(_ id: UInt64, size: Int, _ visit: ([UInt8], ChunkLocation) throws -> Void) throws {
        let fd = open(path(id), O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw StoreIOError("open pack \(Self.fileName(id))") }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: PackFormat.recordHeaderLength)
        var offset = PackFormat.headerLength
        while offset + PackFormat.recordHeaderLength <= size {
            let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, PackFormat.recordHeaderLength, off_t(offset)) }
            guard n == PackFormat.recordHeaderLength, Array(header[0..<4]) == PackFormat.recordMagic else { return }  // torn tail
            let digest = Array(header[8..<40])
            let rawLength = header[40..<44].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let storedLength = header[44..<48].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard offset + PackFormat.recordHeaderLength + Int(storedLength) <= size else { return }
            try visit(digest, ChunkLocation(pack: id, offset: UInt64(offset), storedLength: storedLength, rawLength: rawLength,
                                            compressed: header[4] & PackFormat.flagZstd != 0))
            offset += PackFormat.recordHeaderLength + Int(storedLength)
        }
    }
}
