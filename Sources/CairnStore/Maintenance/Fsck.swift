import CairnCore
import CairnProtocol
import Foundation

extension FsckReport {
    /// Keeps the first hundred problems: enough to act on, bounded for a badly damaged store.
    mutating func problem(_ text: String) { if problems.count < 100 { problems.append(text) } }
}

extension Store {
    // MARK: fsck

    /// Checks the index against the packs and itself. With `rebuildChunkIndex`, first adds an index entry
    /// for every verified pack record whose chunk the index lacks (recovering a lost or damaged `chunks`).
    public func fsck(rebuildChunkIndex: Bool = false) async throws -> FsckReport {
        try jobs.begin("fsck")
        do {
            let report = try await runFsck(rebuildChunkIndex: rebuildChunkIndex)
            jobs.end()
            return report
        } catch {
            jobs.end(error: error)
            throw error
        }
    }

    private func runFsck(rebuildChunkIndex: Bool) async throws -> FsckReport {
        var report = FsckReport()
        if rebuildChunkIndex { report.rebuiltChunks = try await rebuildChunks() }
        let packFiles = Dictionary(uniqueKeysWithValues: try packs.list().map { ($0.id, $0.size) })
        report.packs = packFiles.count
        return try await onOwnThread { [report] in
            var r = report
            try self.environment.read { txn in
                try self.checkChunkEntries(txn, packFiles: packFiles, &r)
                try self.checkChunkReferences(txn, &r)
                try self.checkObjects(txn, &r)
                try self.checkVersions(txn, &r)
                try self.checkMD5Index(txn, &r)
            }
            return r
        }
    }

    /// Every chunk index entry points at a record of that chunk in an existing pack.
    private func checkChunkEntries(_ txn: Transaction, packFiles: [UInt64: Int], _ r: inout FsckReport) throws {
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: PackFormat.recordHeaderLength, alignment: 16)
        defer { header.deallocate() }
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
                  let record = PackFormat.RecordHeader(UnsafeRawBufferPointer(header)), record.digest.elementsEqual(key) else {
                r.badChunkEntries += 1
                r.problem("chunk \(Array(key).hex): no matching record at \(PackStore.fileName(location.pack))+\(location.offset)")
                return true
            }
            return true
        }
    }

    /// Every chunk a blob or a multipart part names is indexed (or quarantined, counted apart).
    private func checkChunkReferences(_ txn: Transaction, _ r: inout FsckReport) throws {
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
        try txn.scan(db.parts, from: []) { _, value in
            try checkChunks(try PartRecord.decode(number: 0, Array(value)).chunks, "multipart part")
            return true
        }
    }

    /// Every object's blob is indexed, and `blob-refs` has exactly one entry per object.
    private func checkObjects(_ txn: Transaction, _ r: inout FsckReport) throws {
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
        var refs = 0
        try txn.scan(db.blobRefs, from: []) { _, _ in refs += 1; return true }
        if refs != r.objects {
            r.blobRefMismatches += abs(refs - r.objects)
            r.problem("blob-refs has \(refs) entries for \(r.objects) objects")
        }
    }

    /// Every model version's files name indexed blobs.
    private func checkVersions(_ txn: Transaction, _ r: inout FsckReport) throws {
        try txn.scan(db.versions, from: []) { _, value in
            r.versions += 1
            let v = try RecordJSON.decode(VersionRecord.self, Array(value))
            for f in v.files where try decodeHex(f.sha256).map({ try !txn.contains(db.blobs, $0) }) ?? true {
                r.missingBlobs += 1
                r.problem("\(v.model)@\(v.version) \(f.path): blob \(f.sha256) is not in the index")
            }
            return true
        }
    }

    /// Every md5 entry names an indexed blob.
    private func checkMD5Index(_ txn: Transaction, _ r: inout FsckReport) throws {
        try txn.scan(db.md5, from: []) { key, value in
            if try !txn.contains(db.blobs, Array(value)) {
                r.badMD5Entries += 1
                r.problem("md5 \(Array(key).hex) names a blob the index lacks")
            }
            return true
        }
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
