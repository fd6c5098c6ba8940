import CairnCore
import CairnProtocol
import Foundation

/// An upload session of the native dedupe protocol. It pins the chunks it uploaded or was told are
/// present, so that the garbage collector keeps them until the session ends or expires.
public struct SessionRecord: Sendable, Equatable {
    public var id: [UInt8]
    public var owner: String
    public var created: Date
    public var lastUsed: Date

    static let version: UInt8 = 1
    func encode() -> [UInt8] {
        var w = ByteWriter(); w.u8(Self.version); w.u64(created.milliseconds); w.u64(lastUsed.milliseconds); w.string(owner); return w.bytes
    }
    static func decode(id: [UInt8], _ bytes: [UInt8]) throws -> SessionRecord {
        try bytes.decode { r in
            try r.version(version, "session")
            let created = Date(milliseconds: try r.u64()), used = Date(milliseconds: try r.u64())
            return SessionRecord(id: id, owner: try r.string(), created: created, lastUsed: used)
        }
    }
}

extension Store {
    // MARK: Sessions

    public func createSession(owner: String) async throws -> SessionRecord {
        let now = Date()
        let record = SessionRecord(id: (0..<16).map { _ in UInt8.random(in: 0...255) }, owner: owner, created: now, lastUsed: now)
        let db = self.db
        try await committer.write { txn in try txn.put(db.sessions, record.id, record.encode()) }
        return record
    }

    /// The session if it exists and has not expired.
    public func session(_ id: [UInt8]) throws -> SessionRecord? {
        guard id.count == 16 else { return nil }
        let record = try environment.read { txn in try txn.get(db.sessions, id).map { try SessionRecord.decode(id: id, $0) } }
        guard let record, Date().timeIntervalSince(record.lastUsed) < sessionTTL else { return nil }
        return record
    }

    /// Ends a session and releases its pins. Unknown sessions are not an error.
    public func deleteSession(_ id: [UInt8]) async throws {
        let db = self.db
        try await committer.write { txn in try Store.deleteSession(txn, db, id) }
    }

    static func deleteSession(_ txn: Transaction, _ db: Databases, _ id: [UInt8]) throws {
        var pins: [[UInt8]] = []
        try txn.scan(db.pins, from: id) { key, _ in
            guard key.count == 48, key.starts(with: id) else { return false }
            pins.append(Array(key))
            return true
        }
        for key in pins { try txn.delete(db.pins, key) }
        try txn.delete(db.sessions, id)
    }

    /// Fails unless the session is alive; marks it used now (every request on a session extends it).
    private func touch(_ txn: Transaction, _ id: [UInt8]) throws {
        guard let bytes = try txn.get(db.sessions, id) else { throw StoreError.noSuchSession(id.hex) }
        var record = try SessionRecord.decode(id: id, bytes)
        guard Date().timeIntervalSince(record.lastUsed) < sessionTTL else { throw StoreError.noSuchSession(id.hex) }
        record.lastUsed = Date()
        try txn.put(db.sessions, id, record.encode())
    }

    // MARK: Chunks

    /// Returns the digests (32 bytes each, concatenated) the store lacks, in request order, and pins the
    /// present ones to the session in the same transaction: a chunk reported present stays present for
    /// the session's life.
    public func missingChunks(session: [UInt8], digests: [UInt8]) async throws -> [UInt8] {
        let db = self.db
        return try await committer.write { txn in
            try self.touch(txn, session)
            var missing: [UInt8] = []
            for i in 0..<digests.count / 32 {
                let digest = Array(digests[i * 32..<(i + 1) * 32])
                if try txn.contains(db.chunks, digest) {
                    try txn.put(db.pins, session + digest, [])
                } else {
                    missing.append(contentsOf: digest)
                }
            }
            return missing
        }
    }

    public func makeChunkIngester() -> ChunkIngester { ChunkIngester(store: self) }

    /// Makes ingested chunks reachable and pins them to the session. Returns how many chunks the index
    /// gained (a concurrent upload of the same chunk may have won; its record is then garbage in a pack).
    @discardableResult
    public func commitChunks(_ batch: IngestedChunks, session: [UInt8]) async throws -> Int {
        defer { withExtendedLifetime(batch.ingest) {} }  // the packs stay out of GC's reach until the index knows them
        let db = self.db
        return try await committer.write(syncing: batch.packs) { txn in
            try self.touch(txn, session)
            var inserted = 0
            for (digest, location) in batch.newChunks where try txn.put(db.chunks, digest, location.encode(), onlyIfAbsent: true) {
                inserted += 1
            }
            // A chunk found present while receiving may have been collected since: pinning it would promise
            // what the store lacks. The client sends the batch again (SlowDown).
            for digest in batch.digests where try !txn.contains(db.chunks, digest) { throw StoreError.chunkCollected(digest.hex) }
            for digest in batch.digests { try txn.put(db.pins, session + digest, []) }
            return inserted
        }
    }

    // MARK: Manifests

    /// Verifies and commits manifests as objects of `bucket` (or, with no bucket, as blobs only, e.g. the
    /// files of a model version about to be registered), all in one index transaction.
    ///
    /// Every chunk must be in the index; the content is read back and its sha256 and md5 must be the
    /// manifest's. A manifest whose sha256 names a blob the store already holds with the same md5 and size
    /// needs neither its chunks nor a re-read: that blob was verified when it was made.
    @discardableResult
    public func commitManifests(_ entries: [KeyedManifest], bucket: String?, session: [UInt8]) async throws -> [ObjectRecord] {
        if let bucket, try self.bucket(bucket) == nil { throw StoreError.noSuchBucket(bucket) }
        guard try self.session(session) != nil else { throw StoreError.noSuchSession(session.hex) }
        let db = self.db
        var verified: [(KeyedManifest, existing: Bool)] = []
        var missing: [String] = []
        try environment.read { txn in
            for entry in entries {
                let m = entry.manifest
                if let bytes = try txn.get(db.blobs, m.sha256) {
                    let blob = try BlobRecord.decode(sha256: m.sha256, bytes)
                    if blob.md5 == m.md5 && blob.size == m.size { verified.append((entry, true)); continue }
                }
                for i in 0..<m.count where try !txn.contains(db.chunks, m.digest(at: i)) { missing.append(m.digest(at: i).hex) }
                verified.append((entry, false))
            }
        }
        if !missing.isEmpty { throw StoreError.missingChunks(Array(Set(missing)).sorted()) }

        let reader = checkoutChunkReader()
        defer { recycle(reader) }
        // The whole sha256 on this thread, the md5 on a second one; the whole-content digests cover every
        // chunk, so chunks are not hashed one by one here.
        for (entry, existing) in verified where !existing {
            let m = entry.manifest
            let md5 = WholeContentDigester(md5: true, sha256: false)
            let sha256 = Hasher(.sha256)
            for i in 0..<m.count {
                let bytes: [UInt8]
                do { bytes = try reader.readUnverified(m.digest(at: i)) } catch StoreError.missingChunk(let hex) {
                    throw StoreError.missingChunks([hex])  // collected since the check above: the client sends it again
                }
                guard bytes.count == Int(m.lengths[i]) else { throw StoreError.badDigest("\(entry.key): chunk \(i) is \(bytes.count) bytes, the manifest says \(m.lengths[i])") }
                bytes.withUnsafeBytes { md5.update($0); sha256.update($0) }
            }
            let contentSHA256 = sha256.finalize(), contentMD5 = md5.finish().md5
            guard contentSHA256 == m.sha256 else { throw StoreError.badDigest("\(entry.key): the content's sha256 is \(contentSHA256.hex), not \(m.sha256.hex)") }
            guard contentMD5 == m.md5 else { throw StoreError.badDigest("\(entry.key): the content's md5 is \(contentMD5.hex), not \(m.md5.hex)") }
        }

        let now = Date()
        let records = entries.map { e in
            ObjectRecord(key: e.key, blob: e.manifest.sha256, size: e.manifest.size, md5: e.manifest.md5, etag: e.manifest.md5.hex, modified: now,
                         headers: [("content-type", "binary/octet-stream")], checksums: [], partSizes: [])
        }
        return try await committer.write { txn in
            try self.touch(txn, session)
            if let bucket, try !txn.contains(db.buckets, Array(bucket.utf8)) { throw StoreError.noSuchBucket(bucket) }
            for (entry, record) in zip(entries, records) {
                let m = entry.manifest
                let objectKey = bucket.map { Keys.object($0, entry.key) }
                if try txn.contains(db.blobs, m.sha256) {
                    try txn.put(db.md5, m.md5, m.sha256)
                    if let objectKey { try self.setObject(txn, objectKey, record) }
                    continue
                }
                var chunks = ChunkList()
                for i in 0..<m.count {
                    let digest = m.digest(at: i)
                    // Re-checked inside the transaction that makes the object visible.
                    guard try txn.contains(db.chunks, digest) else { throw StoreError.missingChunks([digest.hex]) }
                    chunks.append(digest: digest, length: m.lengths[i])
                }
                try txn.put(db.blobs, m.sha256, BlobRecord(sha256: m.sha256, size: m.size, md5: m.md5, chunks: chunks).encode(), onlyIfAbsent: true)
                try txn.put(db.md5, m.md5, m.sha256)
                if let objectKey { try self.setObject(txn, objectKey, record) }
            }
            if bucket == nil {
                // A blob with no object yet (a version's file about to be registered) is kept by its session.
                for entry in entries { try txn.put(db.pins, session + entry.manifest.sha256, []) }
            }
            return records
        }
    }

    /// The manifests of the objects under `prefix`, in key order, at most `maxKeys`.
    public func manifests(bucket: String, prefix: String, startAfter: String?, maxKeys: Int) throws -> (entries: [KeyedManifest], isTruncated: Bool) {
        let listing = try list(bucket: bucket, prefix: prefix, delimiter: nil, startAfter: startAfter, maxKeys: maxKeys)
        var entries: [KeyedManifest] = []
        for (key, record) in listing.objects {
            guard let blob = try blob(record.blob) else { throw StoreError.missingChunk(record.blob.hex) }
            entries.append(KeyedManifest(key: key, manifest: Manifest(size: blob.size, sha256: blob.sha256, md5: blob.md5,
                                                                     digests: blob.chunks.digests, lengths: blob.chunks.lengths)))
        }
        return (entries, listing.isTruncated)
    }

    /// A blob's identity and size without its chunk list (which runs to thousands of entries for big blobs).
    public struct BlobSummary: Sendable, Equatable {
        public var sha256: [UInt8]
        public var md5: [UInt8]
        public var size: UInt64
    }

    /// The summary of the blob with this sha256 (32 bytes) or md5 (16 bytes), if the store holds one.
    public func blobSummary(_ digest: [UInt8]) throws -> BlobSummary? {
        try environment.read { txn in
            let sha: [UInt8]
            if digest.count == 16 {
                guard let s = try txn.get(db.md5, digest) else { return nil }
                sha = s
            } else {
                sha = digest
            }
            guard let value = try txn.get(db.blobs, sha) else { return nil }
            return try value.decode { r in
                try r.version(BlobRecord.version, "blob")
                let size = try r.u64()
                return BlobSummary(sha256: sha, md5: try r.raw(16), size: size)
            }
        }
    }

    /// The blob whose content has this md5, if any.
    public func blob(md5: [UInt8]) throws -> BlobRecord? {
        try environment.read { txn in
            guard let sha = try txn.get(db.md5, md5), let bytes = try txn.get(db.blobs, sha) else { return nil }
            return try BlobRecord.decode(sha256: sha, bytes)
        }
    }
}

/// Chunks received and written to packs, not yet visible.
public struct IngestedChunks: Sendable {
    public var digests: [[UInt8]] = []
    var newChunks: [(digest: [UInt8], location: ChunkLocation)] = []
    var packs: Set<UInt64> = []
    /// Chunks newly written to packs and their stored (payload) bytes.
    public var stored = 0
    public var storedBytes: UInt64 = 0
    /// Keeps the garbage collector away from the packs written to until the batch is committed.
    var ingest: IngestToken?
}

/// Verifies uploaded chunk frames and appends the new ones to the packs, in the form they arrived (a
/// zstd frame stays compressed). Nothing is visible until `Store.commitChunks`.
public final class ChunkIngester {
    private let store: Store
    private let decompressor = ZstdDecompressor()
    private let raw: UnsafeMutableRawBufferPointer
    private var record: UnsafeMutableRawBufferPointer
    private var seen: Set<[UInt8]> = []
    public private(set) var batch = IngestedChunks()

    init(store: Store) {
        self.store = store
        batch.ingest = store.ingests.begin()
        raw = .allocate(byteCount: store.chunkerParameters.maxSize, alignment: 16)
        record = .allocate(byteCount: PackFormat.recordHeaderLength + ZstdCompressor.bound(store.chunkerParameters.maxSize), alignment: 16)
    }

    deinit {
        raw.deallocate()
        record.deallocate()
    }

    /// Checks that the payload decodes to `rawLength` bytes with sha256 `digest`, then stores it unless
    /// the index or this batch has it already.
    public func add(_ header: ChunkFrame.Header, payload: UnsafeRawBufferPointer) throws {
        let out = UnsafeMutableRawBufferPointer(rebasing: raw[0..<header.rawLength])
        if header.zstd {
            do { try decompressor.decompress(payload, into: out) } catch { throw StoreError.badDigest("chunk \(header.digest.hex): \(error)") }
        } else {
            out.copyMemory(from: payload)
        }
        guard Hasher.digest(.sha256, UnsafeRawBufferPointer(out)) == header.digest else {
            throw StoreError.badDigest("chunk \(header.digest.hex): the bytes sent do not have this sha256")
        }
        guard seen.insert(header.digest).inserted else { return }
        batch.digests.append(header.digest)
        if try store.chunkLocation(header.digest) != nil { return }
        let length = PackFormat.recordHeaderLength + payload.count
        PackFormat.writeRecordHeader(into: record, digest: header.digest, compressed: header.zstd, rawLength: header.rawLength, storedLength: payload.count)
        UnsafeMutableRawBufferPointer(rebasing: record[PackFormat.recordHeaderLength..<length]).copyMemory(from: payload)
        let (pack, offset) = try store.packs.append(UnsafeRawBufferPointer(rebasing: record[0..<length]))
        batch.newChunks.append((header.digest, ChunkLocation(pack: pack, offset: offset, storedLength: UInt32(payload.count),
                                                             rawLength: UInt32(header.rawLength), compressed: header.zstd)))
        batch.packs.insert(pack)
        batch.stored += 1
        batch.storedBytes += UInt64(payload.count)
    }
}

extension ChunkReader {
    /// A chunk in its stored form (zstd frame or raw), verified against its digest first.
    public func readStored(_ digest: [UInt8]) throws -> (payload: [UInt8], rawLength: Int, zstd: Bool) {
        let (location, payload) = try readRecord(digest)
        _ = try decode(digest, location, payload)
        return (Array(payload), Int(location.rawLength), location.compressed)
    }
}
