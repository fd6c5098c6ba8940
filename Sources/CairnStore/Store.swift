import CairnCore
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The storage engine: packs of content-addressed chunks indexed in LMDB, with buckets, objects and
/// multipart uploads on top. Layout and ordering rules: storage-layout.md.
///
/// Reads run synchronously in LMDB read transactions on the caller's thread; every write goes through the
/// group committer, which fsyncs the packs a write references before the index transaction that makes
/// them reachable commits.
public final class Store: Sendable {
    public static let formatVersion: UInt32 = 1

    public let directory: URL
    public let chunkerParameters: ChunkerParameters
    /// How long a dedupe session stays alive after its last request.
    public let sessionTTL: TimeInterval
    let environment: Environment
    let packs: PackStore
    let committer: GroupCommitter
    let db: Databases
    private let lockFile: FileHandle
    private let readerPool = ReaderPool()
    /// Ingests in progress (their pack records are not in the index yet).
    let ingests = IngestRegistry()
    public let collector = CollectorState()
    /// Decoded versions: immutable once written, so a cached one is never stale.
    let versionCache = BoundedCache<[UInt8], VersionRecord>(limit: 100_000)

    struct Databases: Sendable {
        let meta, buckets, objects, blobs, chunks, md5, uploads, parts, sessions, pins: Database
        let models, versions, aliases, aliasMoves, datasets, children: Database
        /// Blob → the objects whose content it is (lineage shows where a dataset lives).
        let blobRefs: Database
        /// Chunks scrub found corrupt, taken out of `chunks`.
        let quarantine: Database
    }

    /// Opens the store in `directory`, creating it (with `chunker` parameters) when it is new.
    public static func open(directory: URL, chunker: ChunkerParameters = .standard, sessionTTL: TimeInterval = 86_400) throws -> Store {
        try Store(directory: directory, chunker: chunker, sessionTTL: sessionTTL)
    }

    private init(directory: URL, chunker: ChunkerParameters, sessionTTL: TimeInterval) throws {
        self.directory = directory
        self.sessionTTL = sessionTTL
        let fm = FileManager.default
        try fm.createDirectory(at: directory.appendingPathComponent("index"), withIntermediateDirectories: true)

        let lockPath = directory.appendingPathComponent("lock").path
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw StoreIOError("open \(lockPath)") }
        lockFile = FileHandle(fd: fd)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            throw StoreIOError(message: "the data directory \(directory.path) is in use by another cairn process")
        }

        environment = try Environment(directory: directory.appendingPathComponent("index").path, mapSize: 1 << 40, maxDatabases: 32)
        db = Databases(
            meta: try environment.open("meta"), buckets: try environment.open("buckets"), objects: try environment.open("objects"),
            blobs: try environment.open("blobs"), chunks: try environment.open("chunks"), md5: try environment.open("md5"),
            uploads: try environment.open("uploads"), parts: try environment.open("parts"),
            sessions: try environment.open("sessions"), pins: try environment.open("pins"),
            models: try environment.open("models"), versions: try environment.open("versions"), aliases: try environment.open("aliases"),
            aliasMoves: try environment.open("alias-moves"), datasets: try environment.open("datasets"), children: try environment.open("children"),
            blobRefs: try environment.open("blob-refs"), quarantine: try environment.open("quarantine"))
        packs = try PackStore(directory: directory.appendingPathComponent("packs"))

        let db = self.db
        chunkerParameters = try environment.write { txn in
            if let v = try txn.get(db.meta, Array("format".utf8)) {
                let version = try v.decode { try $0.u32() }
                guard version == Store.formatVersion else {
                    throw StoreIOError(message: "store format \(version) is not supported (this cairn reads format \(Store.formatVersion))")
                }
                guard let p = try txn.get(db.meta, Array("chunker".utf8)) else { throw DecodeError(what: "meta/chunker missing") }
                return try p.decode { r in
                    try r.version(1, "chunker")
                    return ChunkerParameters(minSize: Int(try r.u32()), averageSize: Int(try r.u32()), maxSize: Int(try r.u32()), normalization: Int(try r.u8()))
                }
            }
            var f = ByteWriter(); f.u32(Store.formatVersion)
            var c = ByteWriter(); c.u8(1); c.u32(UInt32(chunker.minSize)); c.u32(UInt32(chunker.averageSize)); c.u32(UInt32(chunker.maxSize)); c.u8(UInt8(chunker.normalization))
            try txn.put(db.meta, Array("format".utf8), f.bytes)
            try txn.put(db.meta, Array("chunker".utf8), c.bytes)
            return chunker
        }
        try Self.buildBlobRefsIfNeeded(environment, db)
        committer = GroupCommitter(environment: environment, packs: packs)
    }

    /// Drains pending writes and stops the writer thread. Acknowledged writes are already durable.
    public func close() {
        committer.stop()
        flock(lockFile.fd, LOCK_UN)
    }

    /// Entry counts of the index, for status reports and tests.
    public struct Statistics: Sendable, Equatable, Encodable {
        public var buckets, objects, blobs, chunks, uploads, parts: Int
    }

    public func statistics() throws -> Statistics {
        try environment.read { txn in
            Statistics(buckets: try txn.count(db.buckets), objects: try txn.count(db.objects), blobs: try txn.count(db.blobs),
                       chunks: try txn.count(db.chunks), uploads: try txn.count(db.uploads), parts: try txn.count(db.parts))
        }
    }

    /// The location of a chunk in the packs, if the index has it.
    public func locateChunk(_ digest: [UInt8]) throws -> ChunkLocation? { try chunkLocation(digest) }

    /// The path of a pack file (for tools and tests).
    public func packPath(_ id: UInt64) -> String { packs.path(id) }

    // MARK: Chunks and blobs

    func chunkLocation(_ digest: [UInt8]) throws -> ChunkLocation? {
        try environment.read { txn in try txn.get(db.chunks, digest).map(ChunkLocation.decode) }
    }

    public func makeBlobWriter(checksums: Set<ChecksumAlgorithm> = []) -> BlobWriter { BlobWriter(store: self, checksums: checksums) }
    public func makeChunkReader() -> ChunkReader { ChunkReader(store: self) }

    /// Takes a reader from the pool (zstd contexts and buffers are reused across requests); give it back
    /// with `recycle` when done.
    public func checkoutChunkReader() -> ChunkReader { readerPool.take() ?? ChunkReader(store: self) }
    public func recycle(_ reader: ChunkReader) { readerPool.put(reader) }

    /// Every chunk a new blob or part names must be in the index when it commits: a chunk found during
    /// ingest may have been collected since (GC deleted it as unreferenced). The writer then retries.
    func requireChunks(_ txn: Transaction, _ chunks: ChunkList) throws {
        for i in 0..<chunks.count where try !txn.contains(db.chunks, chunks.digest(at: i)) {
            throw StoreError.chunkCollected(chunks.digest(at: i).hex)
        }
    }

    /// Throws unless every chunk of `range` is in the index, so that a read of content with a quarantined
    /// chunk fails with a clear error before any header is sent (instead of a connection cut mid-body).
    public func checkReadable(_ blob: BlobRecord, range: Range<UInt64>) throws {
        var absent: [UInt8]?
        try environment.read { txn in
            var start: UInt64 = 0
            for i in 0..<blob.chunks.count {
                let end = start + UInt64(blob.chunks.lengths[i])
                defer { start = end }
                if end <= range.lowerBound { continue }
                if start >= range.upperBound { break }
                if try !txn.contains(db.chunks, blob.chunks.digest(at: i)) { absent = blob.chunks.digest(at: i); return }
            }
        }
        if let absent { throw absentChunkError(absent) }
    }

    /// The error for a chunk the index lacks: quarantined by scrub (corrupt), or missing.
    func absentChunkError(_ digest: [UInt8]) -> StoreError {
        if (try? environment.read({ txn in try txn.contains(db.quarantine, digest) })) == true {
            return .corruptChunk("\(digest.hex) is quarantined: scrub found its stored bytes corrupt")
        }
        return .missingChunk(digest.hex)
    }

    public func blob(_ sha256: [UInt8]) throws -> BlobRecord? {
        try environment.read { txn in try txn.get(db.blobs, sha256).map { try BlobRecord.decode(sha256: sha256, $0) } }
    }

    /// Index writes that make an ingested blob's chunks and the blob itself reachable.
    private func commitBlob(_ txn: Transaction, sha256: [UInt8], md5: [UInt8], size: UInt64, chunks: ChunkList,
                            newChunks: [(digest: [UInt8], location: ChunkLocation)]) throws {
        for (digest, location) in newChunks {
            // Another writer may have stored the same chunk meanwhile; the first location wins and
            // this record becomes garbage in its pack.
            try txn.put(db.chunks, digest, location.encode(), onlyIfAbsent: true)
        }
        try requireChunks(txn, chunks)
        let record = BlobRecord(sha256: sha256, size: size, md5: md5, chunks: chunks)
        try txn.put(db.blobs, sha256, record.encode(), onlyIfAbsent: true)
        try txn.put(db.md5, md5, sha256)
    }

    // MARK: Buckets

    public func createBucket(_ name: String) async throws {
        let db = self.db
        try await committer.write { txn in
            let record = BucketRecord(name: name, created: Date())
            guard try txn.put(db.buckets, Array(name.utf8), record.encode(), onlyIfAbsent: true) else {
                throw StoreError.bucketAlreadyOwnedByYou(name)
            }
        }
    }

    public func deleteBucket(_ name: String) async throws {
        let db = self.db
        try await committer.write { txn in
            guard try txn.contains(db.buckets, Array(name.utf8)) else { throw StoreError.noSuchBucket(name) }
            var empty = true
            let prefix = Keys.object(name, "")
            try txn.scan(db.objects, from: prefix) { key, _ in
                empty = !key.starts(with: prefix)
                return false
            }
            guard empty else { throw StoreError.bucketNotEmpty(name) }
            // Open multipart uploads die with their bucket.
            var uploads: [String] = []
            try txn.scan(db.uploads, from: []) { key, value in
                let id = String(decoding: key, as: UTF8.self)
                if let u = try? UploadRecord.decode(id: id, Array(value)), u.bucket == name { uploads.append(id) }
                return true
            }
            for id in uploads { try self.deleteUpload(txn, id) }
            try txn.delete(db.buckets, Array(name.utf8))
        }
    }

    public func bucket(_ name: String) throws -> BucketRecord? {
        try environment.read { txn in try txn.get(db.buckets, Array(name.utf8)).map { try BucketRecord.decode(name: name, $0) } }
    }

    public func listBuckets() throws -> [BucketRecord] {
        try environment.read { txn in
            var result: [BucketRecord] = []
            try txn.scan(db.buckets, from: []) { key, value in
                result.append(try BucketRecord.decode(name: String(decoding: key, as: UTF8.self), Array(value)))
                return true
            }
            return result
        }
    }

    // MARK: Objects

    /// A precondition evaluated atomically with the write.
    public enum WriteCondition: Sendable {
        case none
        /// `If-None-Match: *`: fail when the key exists.
        case mustNotExist
        /// `If-Match: etag`: fail unless the current object has this ETag.
        case etagMatches(String)
    }

    private func checkCondition(_ txn: Transaction, _ key: [UInt8], _ condition: WriteCondition) throws {
        switch condition {
        case .none: return
        case .mustNotExist:
            if try txn.contains(db.objects, key) { throw StoreError.preconditionFailed }
        case .etagMatches(let etag):
            guard let v = try txn.get(db.objects, key), try ObjectRecord.decode(v).etag == etag else { throw StoreError.preconditionFailed }
        }
    }

    /// Writes an object record, keeping `blob-refs` in step.
    func setObject(_ txn: Transaction, _ k: [UInt8], _ record: ObjectRecord) throws {
        if let old = try txn.get(db.objects, k) {
            let previous = try ObjectRecord.decode(old).blob
            if previous != record.blob { _ = try txn.delete(db.blobRefs, Keys.blobRef(previous, k)) }
        }
        try txn.put(db.objects, k, record.encode())
        try txn.put(db.blobRefs, Keys.blobRef(record.blob, k), k)
    }

    /// Deletes an object record (if any), keeping `blob-refs` in step.
    func removeObject(_ txn: Transaction, _ k: [UInt8]) throws {
        guard let old = try txn.get(db.objects, k) else { return }
        _ = try txn.delete(db.objects, k)
        _ = try txn.delete(db.blobRefs, Keys.blobRef(try ObjectRecord.decode(old).blob, k))
    }

    /// Stores made before `blob-refs` existed get it built once, from the objects.
    private static func buildBlobRefsIfNeeded(_ environment: Environment, _ db: Databases) throws {
        let marker = Array("blob-refs".utf8)
        try environment.write { txn in
            guard try !txn.contains(db.meta, marker) else { return }
            var refs: [([UInt8], [UInt8])] = []
            try txn.scan(db.objects, from: []) { key, value in
                let k = Array(key)
                refs.append((Keys.blobRef(try ObjectRecord.decode(Array(value)).blob, k), k))
                return true
            }
            for (ref, k) in refs { try txn.put(db.blobRefs, ref, k) }
            try txn.put(db.meta, marker, [1])
        }
    }

    /// Up to `limit` objects whose content is the blob, as (bucket, key).
    public func objects(withBlob sha256: [UInt8], limit: Int = 100) throws -> [(bucket: String, key: String)] {
        try environment.read { txn in
            var found: [[UInt8]] = []
            try txn.scan(db.blobRefs, from: sha256) { key, value in
                guard key.count == 48, key.starts(with: sha256), found.count < limit else { return false }
                found.append(Array(value))
                return true
            }
            return try found.compactMap { k in
                guard let zero = k.firstIndex(of: 0), let bytes = try txn.get(db.objects, k) else { return nil }
                return (String(decoding: k[..<zero], as: UTF8.self), try ObjectRecord.decode(bytes).key)
            }
        }
    }

    public func object(bucket: String, key: String) throws -> ObjectRecord? {
        try environment.read { txn in try txn.get(db.objects, Keys.object(bucket, key)).map(ObjectRecord.decode) }
    }

    /// Makes an ingested blob visible as `bucket/key`.
    @discardableResult
    public func putObject(bucket: String, key: String, blob: IngestedBlob, headers: StoredHeaders, checksums: [StoredChecksum],
                          condition: WriteCondition = .none) async throws -> ObjectRecord {
        defer { withExtendedLifetime(blob.ingest) {} }  // the packs stay out of GC's reach until the index knows them
        let record = ObjectRecord(key: key, blob: blob.sha256, size: blob.size, md5: blob.md5, etag: blob.md5.hex, modified: Date(),
                                  headers: headers, checksums: checksums, partSizes: [])
        let db = self.db
        return try await committer.write(syncing: blob.packs) { txn in
            guard try txn.contains(db.buckets, Array(bucket.utf8)) else { throw StoreError.noSuchBucket(bucket) }
            let k = Keys.object(bucket, key)
            try self.checkCondition(txn, k, condition)
            try self.commitBlob(txn, sha256: blob.sha256, md5: blob.md5, size: blob.size, chunks: blob.chunks, newChunks: blob.newChunks)
            try self.setObject(txn, k, record)
            return record
        }
    }

    /// Points `bucket/key` at an existing blob (CopyObject: no bytes move).
    @discardableResult
    public func copyObject(from source: ObjectRecord, toBucket bucket: String, key: String, headers: StoredHeaders,
                           condition: WriteCondition = .none) async throws -> ObjectRecord {
        var copy = source
        copy.key = key
        copy.modified = Date()
        copy.headers = headers
        copy.etag = source.md5.hex
        copy.partSizes = []
        copy.checksums = source.checksums.filter { !$0.isComposite }
        let record = copy
        let db = self.db
        return try await committer.write { txn in
            guard try txn.contains(db.buckets, Array(bucket.utf8)) else { throw StoreError.noSuchBucket(bucket) }
            // The source was deleted and collected meanwhile.
            guard try txn.contains(db.blobs, source.blob) else { throw StoreError.noSuchKey(bucket: bucket, key: source.key) }
            let k = Keys.object(bucket, key)
            try self.checkCondition(txn, k, condition)
            try self.setObject(txn, k, record)
            return record
        }
    }

    /// Deletes `bucket/key` (absent keys are not an error, as in S3).
    public func deleteObject(bucket: String, key: String) async throws {
        try await deleteObjects(bucket: bucket, keys: [key])
    }

    public func deleteObjects(bucket: String, keys: [String]) async throws {
        let db = self.db
        try await committer.write { txn in
            guard try txn.contains(db.buckets, Array(bucket.utf8)) else { throw StoreError.noSuchBucket(bucket) }
            for key in keys { try self.removeObject(txn, Keys.object(bucket, key)) }
        }
    }

    public struct Listing: Sendable {
        public var objects: [(key: String, record: ObjectRecord)] = []
        public var commonPrefixes: [String] = []
        public var isTruncated = false
        /// The last key or common prefix returned: where the next page starts after.
        public var last: String?
    }

    /// Lists keys in UTF-8 byte order after `startAfter`, rolling keys up to the first `delimiter`
    /// after `prefix` into common prefixes. Whole subtrees under a common prefix are skipped with one seek.
    public func list(bucket: String, prefix: String, delimiter: String?, startAfter: String?, maxKeys: Int) throws -> Listing {
        let bucketPrefix = Keys.object(bucket, "")
        let prefixBytes = Array(prefix.utf8)
        let delimiterBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let afterBytes = startAfter.map { Array($0.utf8) }
        let limit = Keys.directKeyLimit
        var listing = Listing()
        var count = 0
        /// Past every index key that starts with `bytes` (0xFF never occurs in UTF-8; 34 of them pass a hash too).
        func beyond(_ bytes: [UInt8]) -> [UInt8] { bucketPrefix + bytes.prefix(limit) + [UInt8](repeating: 0xff, count: 34) }

        enum Step { case next, stop, skip(commonPrefix: [UInt8]) }
        /// Applies the listing rules to one key in order.
        func visit(_ key: [UInt8], _ value: [UInt8]) throws -> Step {
            guard key.starts(with: prefixBytes) else { return prefixBytes.lexicographicallyPrecedes(key) ? .stop : .next }
            if let after = afterBytes, !after.lexicographicallyPrecedes(key) { return .next }
            var commonPrefix: [UInt8]?
            if let d = delimiterBytes, let r = firstRange(of: d, in: key, from: prefixBytes.count) {
                commonPrefix = Array(key[..<r.upperBound])
            }
            if let cp = commonPrefix, let after = afterBytes, after.starts(with: cp) {
                return .skip(commonPrefix: cp)  // a page ended at or inside this common prefix
            }
            if count == maxKeys {
                listing.isTruncated = true
                return .stop
            }
            count += 1
            if let cp = commonPrefix {
                let s = String(decoding: cp, as: UTF8.self)
                listing.commonPrefixes.append(s)
                listing.last = s
                return .skip(commonPrefix: cp)
            }
            let record = try ObjectRecord.decode(value)
            listing.objects.append((record.key, record))
            listing.last = record.key
            return .next
        }

        var seek = bucketPrefix + prefixBytes.prefix(limit)
        if let after = afterBytes, prefixBytes.lexicographicallyPrecedes(after) { seek = bucketPrefix + after.prefix(limit) }
        try environment.read { txn in
            guard try txn.contains(db.buckets, Array(bucket.utf8)) else { throw StoreError.noSuchBucket(bucket) }
            var done = false
            while !done {
                var nextSeek: [UInt8]?
                var longKeyGroup: [UInt8]?
                try txn.scan(db.objects, from: seek) { rawKey, value in
                    guard rawKey.starts(with: bucketPrefix) else { done = true; return false }
                    let indexKey = Array(rawKey[bucketPrefix.count...])
                    if indexKey.count > limit && indexKey[limit] == 0xff {
                        longKeyGroup = Array(indexKey[..<limit])
                        return false
                    }
                    switch try visit(indexKey, Array(value)) {
                    case .next: return true
                    case .stop: done = true; return false
                    case .skip(let cp): nextSeek = beyond(cp); return false
                    }
                }
                if let shared = longKeyGroup {
                    // Long keys sharing their first 400 bytes sort by hash in the index: read the group, sort, visit.
                    let groupStart = bucketPrefix + shared + [0xff]
                    var group: [(key: [UInt8], value: [UInt8])] = []
                    try txn.scan(db.objects, from: groupStart) { rawKey, value in
                        guard rawKey.starts(with: groupStart) else { return false }
                        let v = Array(value)
                        group.append((Array(try ObjectRecord.decode(v).key.utf8), v))
                        return true
                    }
                    var skipping: [UInt8]?
                    for entry in group.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) where !done {
                        if let cp = skipping, entry.key.starts(with: cp) { continue }
                        skipping = nil
                        switch try visit(entry.key, entry.value) {
                        case .next: break
                        case .stop: done = true
                        case .skip(let cp): skipping = cp
                        }
                    }
                    nextSeek = beyond(shared)
                }
                if let nextSeek, !done { seek = nextSeek } else { done = true }
            }
        }
        return listing
    }

    // MARK: Multipart uploads

    public func createUpload(bucket: String, key: String, headers: StoredHeaders, checksumAlgorithm: ChecksumAlgorithm?) async throws -> UploadRecord {
        let id = (0..<16).map { _ in UInt8.random(in: 0...255) }.hex
        let record = UploadRecord(id: id, bucket: bucket, key: key, created: Date(), headers: headers, checksumAlgorithm: checksumAlgorithm)
        let db = self.db
        try await committer.write { txn in
            guard try txn.contains(db.buckets, Array(bucket.utf8)) else { throw StoreError.noSuchBucket(bucket) }
            try txn.put(db.uploads, Array(id.utf8), record.encode())
        }
        return record
    }

    public func upload(_ id: String) throws -> UploadRecord? {
        try environment.read { txn in try txn.get(db.uploads, Array(id.utf8)).map { try UploadRecord.decode(id: id, $0) } }
    }

    @discardableResult
    public func putPart(uploadID: String, number: Int, blob: IngestedBlob, checksums: [StoredChecksum]) async throws -> PartRecord {
        defer { withExtendedLifetime(blob.ingest) {} }  // the packs stay out of GC's reach until the index knows them
        let part = PartRecord(number: number, size: blob.size, md5: blob.md5, modified: Date(), checksums: checksums, chunks: blob.chunks)
        let db = self.db
        return try await committer.write(syncing: blob.packs) { txn in
            guard try txn.contains(db.uploads, Array(uploadID.utf8)) else { throw StoreError.noSuchUpload(uploadID) }
            for (digest, location) in blob.newChunks { try txn.put(db.chunks, digest, location.encode(), onlyIfAbsent: true) }
            try self.requireChunks(txn, blob.chunks)
            try txn.put(db.parts, Keys.part(uploadID, number), part.encode())
            return part
        }
    }

    public func parts(uploadID: String) throws -> [PartRecord] {
        try environment.read { txn in try self.parts(txn, uploadID) }
    }

    private func parts(_ txn: Transaction, _ uploadID: String) throws -> [PartRecord] {
        let prefix = Array(uploadID.utf8) + [0]
        var result: [PartRecord] = []
        try txn.scan(db.parts, from: prefix) { key, value in
            guard key.starts(with: prefix), key.count == prefix.count + 4 else { return false }
            let number = key[prefix.count...].reduce(0) { $0 << 8 | Int($1) }
            result.append(try PartRecord.decode(number: number, Array(value)))
            return true
        }
        return result
    }

    func deleteUpload(_ txn: Transaction, _ id: String) throws {
        for part in try parts(txn, id) { try txn.delete(db.parts, Keys.part(id, part.number)) }
        try txn.delete(db.uploads, Array(id.utf8))
    }

    public func abortUpload(_ id: String) async throws {
        try await committer.write { txn in
            guard try txn.contains(self.db.uploads, Array(id.utf8)) else { throw StoreError.noSuchUpload(id) }
            try self.deleteUpload(txn, id)
        }
    }

    public func uploads(bucket: String) throws -> [UploadRecord] {
        try environment.read { txn in
            var result: [UploadRecord] = []
            try txn.scan(db.uploads, from: []) { key, value in
                let u = try UploadRecord.decode(id: String(decoding: key, as: UTF8.self), Array(value))
                if u.bucket == bucket { result.append(u) }
                return true
            }
            return result
        }
    }

    public static let minimumPartSize: UInt64 = 5 << 20

    /// Validates the client's part list, hashes the whole content (S3 does not need it, but every blob in
    /// Cairn is addressed by its sha256 and findable by md5), and makes the object visible.
    public func completeUpload(_ id: String, parts requested: [(number: Int, etag: String)], condition: WriteCondition = .none,
                               headers extraChecks: [StoredChecksum] = []) async throws -> ObjectRecord {
        guard let upload = try upload(id) else { throw StoreError.noSuchUpload(id) }
        let stored = Dictionary(try parts(uploadID: id).map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        var chosen: [PartRecord] = []
        var previous = 0
        for (number, etag) in requested {
            guard number > previous else { throw StoreError.invalidPartOrder }
            previous = number
            let clean = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            guard let part = stored[number], part.etag == clean.lowercased() else {
                throw StoreError.invalidPart("part \(number)")
            }
            chosen.append(part)
        }
        guard !chosen.isEmpty else { throw StoreError.invalidPart("no parts") }
        for part in chosen.dropLast() where part.size < Store.minimumPartSize { throw StoreError.entityTooSmall(part: part.number) }

        let chunks = chosen.reduce(into: ChunkList()) { $0.append(contentsOf: $1.chunks) }
        let md5 = Hasher(.md5), sha256 = Hasher(.sha256)
        let reader = checkoutChunkReader()
        defer { recycle(reader) }
        for i in 0..<chunks.count {
            let bytes = try reader.read(chunks.digest(at: i))
            md5.update(bytes)
            sha256.update(bytes)
        }
        let whole = (md5: md5.finalize(), sha256: sha256.finalize())
        let etagHasher = Hasher(.md5)
        for part in chosen { etagHasher.update(part.md5) }
        var checksums: [StoredChecksum] = []
        if let algorithm = upload.checksumAlgorithm ?? chosen.first?.checksums.first?.algorithm {
            // A composite checksum (checksum of the parts' checksums, "-N"), as S3 reports for multipart uploads.
            let values = chosen.compactMap { $0.checksums.first { $0.algorithm == algorithm }.flatMap { base64Decode($0.value) } }
            if values.count == chosen.count {
                let c = ChecksumComputer(algorithm)
                for v in values { v.withUnsafeBytes { c.update($0) } }
                checksums.append(StoredChecksum(algorithm: algorithm, value: "\(base64Encode(c.finalize()))-\(chosen.count)"))
            }
        }
        let size = chunks.totalLength
        let record = ObjectRecord(key: upload.key, blob: whole.sha256, size: size, md5: whole.md5, etag: "\(etagHasher.finalize().hex)-\(chosen.count)",
                                  modified: Date(), headers: upload.headers, checksums: checksums, partSizes: chosen.map(\.size))
        let db = self.db
        return try await committer.write { txn in
            guard try txn.contains(db.uploads, Array(id.utf8)) else { throw StoreError.noSuchUpload(id) }
            guard try txn.contains(db.buckets, Array(upload.bucket.utf8)) else { throw StoreError.noSuchBucket(upload.bucket) }
            let k = Keys.object(upload.bucket, upload.key)
            try self.checkCondition(txn, k, condition)
            try self.commitBlob(txn, sha256: whole.sha256, md5: whole.md5, size: size, chunks: chunks, newChunks: [])
            try self.setObject(txn, k, record)
            try self.deleteUpload(txn, id)
            return record
        }
    }
}

private func firstRange(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Range<Int>? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    var i = start
    while i + needle.count <= haystack.count {
        if haystack[i] == needle[0] && haystack[i..<i + needle.count].elementsEqual(needle) { return i..<i + needle.count }
        i += 1
    }
    return nil
}

/// Idle chunk readers. A reader is used by one task at a time; the pool only hands them over.
private final class ReaderPool: @unchecked Sendable {  // `idle` guarded by `lock`
    private let lock = NSLock()
    private var idle: [ChunkReader] = []

    func take() -> ChunkReader? { lock.withLock { idle.popLast() } }
    func put(_ reader: ChunkReader) { lock.withLock { if idle.count < 64 { idle.append(reader) } } }
}
