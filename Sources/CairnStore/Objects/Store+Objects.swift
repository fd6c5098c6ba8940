import CairnCore
import CairnProtocol
import Foundation

extension Store {
    // MARK: Objects

    /// A precondition evaluated atomically with the write.
    public enum WriteCondition: Sendable {
        case none
        /// `If-None-Match: *`: fail when the key exists.
        case mustNotExist
        /// `If-Match: etag`: fail unless the current object has this ETag (`noSuchKey` when there is none).
        case etagMatches(String)
        /// `If-None-Match: etag`: fail when the current object has this ETag.
        case etagDiffers(String)
    }

    /// Evaluates a write's precondition in the write's own transaction, so that of two racing conditional
    /// writers exactly one wins.
    /// `k` is the object's index key (`Keys.object(bucket, key)`), which the caller has already made.
    func checkCondition(_ txn: Transaction, _ k: [UInt8], bucket: String, key: String, _ condition: WriteCondition) throws {
        switch condition {
        case .none: return
        case .mustNotExist:
            if try txn.contains(db.objects, k) { throw StoreError.preconditionFailed }
        case .etagMatches(let etag):
            guard let v = try txn.get(db.objects, k) else { throw StoreError.noSuchKey(bucket: bucket, key: key) }
            guard try ObjectRecord.decode(v).etag == etag else { throw StoreError.preconditionFailed }
        case .etagDiffers(let etag):
            if let v = try txn.get(db.objects, k), try ObjectRecord.decode(v).etag == etag { throw StoreError.preconditionFailed }
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
    static func buildBlobRefsIfNeeded(_ environment: Environment, _ db: Databases) throws {
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
            try self.checkCondition(txn, k, bucket: bucket, key: key, condition)
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
        copy.partChecksums = []
        copy.checksums = source.checksums.filter { !$0.isComposite }
        let record = copy
        let db = self.db
        return try await committer.write { txn in
            guard try txn.contains(db.buckets, Array(bucket.utf8)) else { throw StoreError.noSuchBucket(bucket) }
            // The source was deleted and collected meanwhile.
            guard try txn.contains(db.blobs, source.blob) else { throw StoreError.noSuchKey(bucket: bucket, key: source.key) }
            let k = Keys.object(bucket, key)
            try self.checkCondition(txn, k, bucket: bucket, key: key, condition)
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
}
