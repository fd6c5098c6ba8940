import CairnCore
import CairnProtocol
import Foundation

extension Store {
    // MARK: Multipart uploads

    /// Opens an upload. `checksumType` defaults to the one S3 gives `checksumAlgorithm` (see `MultipartChecksumType.standard`).
    public func createUpload(bucket: String, key: String, headers: StoredHeaders, checksumAlgorithm: ChecksumAlgorithm?,
                             checksumType: MultipartChecksumType? = nil) async throws -> UploadRecord {
        let id = (0..<16).map { _ in UInt8.random(in: 0...255) }.hex
        let record = UploadRecord(id: id, bucket: bucket, key: key, created: Date(), headers: headers, checksumAlgorithm: checksumAlgorithm,
                                  checksumType: checksumAlgorithm.map { checksumType ?? MultipartChecksumType.standard(for: $0) })
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

    /// What a client asks of CompleteMultipartUpload besides the upload itself.
    public struct Completion: Sendable {
        /// Part numbers in ascending order, with the ETags UploadPart returned (quotes allowed).
        public var parts: [(number: Int, etag: String)]
        /// Part checksums named in the request: each must be the one verified when the part was uploaded.
        public var partChecksums: [Int: [StoredChecksum]] = [:]
        /// The object's checksum as the client computed it (`x-amz-checksum-*` on the completion).
        public var checksum: StoredChecksum?
        /// `x-amz-checksum-type`: must be the upload's.
        public var checksumType: MultipartChecksumType?
        /// `x-amz-mp-object-size`: must be the sum of the parts.
        public var size: UInt64?
        public var condition: WriteCondition = .none

        public init(parts: [(number: Int, etag: String)]) { self.parts = parts }
    }

    /// Validates the client's part list, hashes the whole content (S3 does not need it, but every blob in
    /// Cairn is addressed by its sha256 and findable by md5), and makes the object visible. The answer is
    /// kept: a retried completion with the same parts gets it again, with other parts `noSuchUpload`.
    public func completeUpload(_ id: String, bucket: String, key: String, _ request: Completion) async throws -> CompletedUploadRecord {
        let requested = request.parts.map { (number: $0.number, etag: $0.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).lowercased()) }
        guard let upload = try upload(id), upload.bucket == bucket, upload.key == key else {
            return try environment.read { txn in try self.earlierCompletion(txn, id, bucket: bucket, key: key, parts: requested) }
        }
        let stored = Dictionary(try parts(uploadID: id).map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        var chosen: [PartRecord] = []
        var previous = 0
        for (number, etag) in requested {
            guard number > previous else { throw StoreError.invalidPartOrder }
            previous = number
            guard let part = stored[number], part.etag == etag else { throw StoreError.invalidPart("part \(number)") }
            for sum in request.partChecksums[number] ?? [] where part.checksums.contains(where: { $0.algorithm == sum.algorithm && $0.value != sum.value }) {
                throw StoreError.invalidPart("checksum of part \(number)")
            }
            chosen.append(part)
        }
        guard !chosen.isEmpty else { throw StoreError.invalidPart("no parts") }
        for part in chosen.dropLast() where part.size < Store.minimumPartSize { throw StoreError.entityTooSmall(part: part.number) }
        let chunks = chosen.reduce(into: ChunkList()) { $0.append(contentsOf: $1.chunks) }
        let size = chunks.totalLength
        if let declared = request.size, declared != size {
            throw StoreError.invalidRequest("The provided 'x-amz-mp-object-size' header value \(declared) does not match what was computed: \(size)")
        }
        let (checksum, partChecksums) = try objectChecksum(upload, chosen, request)

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
        let record = ObjectRecord(key: upload.key, blob: whole.sha256, size: size, md5: whole.md5, etag: "\(etagHasher.finalize().hex)-\(chosen.count)",
                                  modified: Date(), headers: upload.headers, checksums: checksum.map { [$0] } ?? [],
                                  partSizes: chosen.map(\.size), partChecksums: partChecksums)
        let done = CompletedUploadRecord(id: id, bucket: bucket, key: key, completed: record.modified, parts: requested,
                                         etag: record.etag, checksums: record.checksums)
        let db = self.db
        return try await committer.write { txn in
            // A concurrent completion of the same upload may have won: answer as a retry would be answered.
            guard try txn.contains(db.uploads, Array(id.utf8)) else {
                return try self.earlierCompletion(txn, id, bucket: bucket, key: key, parts: requested)
            }
            guard try txn.contains(db.buckets, Array(upload.bucket.utf8)) else { throw StoreError.noSuchBucket(upload.bucket) }
            let k = Keys.object(upload.bucket, upload.key)
            try self.checkCondition(txn, k, bucket: upload.bucket, key: upload.key, request.condition)
            try self.commitBlob(txn, sha256: whole.sha256, md5: whole.md5, size: size, chunks: chunks, newChunks: [])
            try self.setObject(txn, k, record)
            try self.deleteUpload(txn, id)
            try txn.put(db.completedUploads, Array(id.utf8), done.encode())
            return done
        }
    }

    /// The answer of an earlier completion of upload `id` with the same parts; `noSuchUpload` otherwise.
    private func earlierCompletion(_ txn: Transaction, _ id: String, bucket: String, key: String,
                                   parts: [(number: Int, etag: String)]) throws -> CompletedUploadRecord {
        guard let value = try txn.get(db.completedUploads, Array(id.utf8)) else { throw StoreError.noSuchUpload(id) }
        let done = try CompletedUploadRecord.decode(id: id, Array(value))
        guard done.bucket == bucket, done.key == key,
              done.parts.elementsEqual(parts, by: { $0.number == $1.number && $0.etag == $1.etag }) else {
            throw StoreError.noSuchUpload(id)
        }
        return done
    }

    /// The object's checksum, made from its parts' without reading the bytes again: FULL_OBJECT combines
    /// the part CRCs into the CRC of the whole; COMPOSITE is the checksum of the concatenated part
    /// checksums, with `-N`. Verifies the value the client sent, if any. Also returns the part checksums.
    private func objectChecksum(_ upload: UploadRecord, _ chosen: [PartRecord], _ request: Completion) throws -> (StoredChecksum?, [StoredChecksum]) {
        // An upload that declared no algorithm still gets one when its parts all carry the same one.
        let algorithm = upload.checksumAlgorithm ?? chosen.first?.checksums.first?.algorithm
        let type = upload.checksumType ?? algorithm.map(MultipartChecksumType.standard(for:))
        if let asked = request.checksumType, asked != type {
            throw StoreError.invalidRequest("The upload was created using the \(type?.rawValue ?? "null") checksum mode. The complete request must use the same checksum mode.")
        }
        if let sent = request.checksum, sent.algorithm != algorithm {
            throw StoreError.invalidRequest("The upload was created using the \(algorithm?.rawValue ?? "null") checksum algorithm. The complete request must use the same algorithm.")
        }
        guard let algorithm, let type else { return (nil, []) }
        let sums = chosen.compactMap { $0.checksums.first { $0.algorithm == algorithm } }
        let values = sums.compactMap { base64Decode($0.value) }
        guard values.count == chosen.count else {
            if upload.checksumAlgorithm == nil { return (nil, []) }
            throw StoreError.invalidRequest("The upload was created using a \(algorithm.rawValue) checksum. Every part must have one.")
        }
        let value: String
        switch type {
        case .fullObject:
            var whole = values[0]
            for i in values.indices.dropFirst() {
                guard let next = algorithm.combine(whole, values[i], secondLength: Int(chosen[i].size)) else {
                    throw StoreError.invalidRequest("The \(algorithm.rawValue) checksum cannot be a full-object checksum.")
                }
                whole = next
            }
            value = base64Encode(whole)
        case .composite:
            let c = ChecksumComputer(algorithm)
            for v in values { v.withUnsafeBytes { c.update($0) } }
            value = "\(base64Encode(c.finalize()))-\(chosen.count)"
        }
        if let sent = request.checksum, sent.value != value, "\(sent.value)-\(chosen.count)" != value {
            throw StoreError.badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        }
        return (StoredChecksum(algorithm: algorithm, value: value), sums)
    }
}
