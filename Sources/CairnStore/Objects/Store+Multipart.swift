import CairnCore
import CairnProtocol
import Foundation

extension Store {
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
            try self.checkCondition(txn, k, bucket: upload.bucket, key: upload.key, condition)
            try self.commitBlob(txn, sha256: whole.sha256, md5: whole.md5, size: size, chunks: chunks, newChunks: [])
            try self.setObject(txn, k, record)
            try self.deleteUpload(txn, id)
            return record
        }
    }
}
