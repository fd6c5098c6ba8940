import CairnCore
import CairnProtocol
import Foundation

/// Marks (referenced blobs and chunks), shared by the plan and the deletion transactions that extend it.
final class Marks: @unchecked Sendable {  // used by one task at a time, in sequence (plan, then each deletion)
    var blobs: Set<Digest32> = []
    var chunks: Set<Digest32> = []

    /// Marks a blob and its chunks (a blob the index lacks marks nothing more).
    func markBlob(_ txn: Transaction, _ db: Store.Databases, _ sha256: [UInt8]) throws {
        guard sha256.count == 32, blobs.insert(Digest32(sha256)).inserted, let value = try txn.get(db.blobs, sha256) else { return }
        let record = try BlobRecord.decode(sha256: sha256, value)
        markChunks(record.chunks)
    }

    func markChunks(_ list: ChunkList) {
        list.digests.withUnsafeBytes { p in
            for i in 0..<list.count { chunks.insert(Digest32(UnsafeRawBufferPointer(rebasing: p[i * 32..<(i + 1) * 32]))) }
        }
    }

    /// Marks what a version keeps alive: its files, and (by policy) the datasets its lineage names.
    func markVersion(_ txn: Transaction, _ db: Store.Databases, _ value: [UInt8], pinLineage: Bool) throws {
        let version = try RecordJSON.decode(VersionRecord.self, value)
        for file in version.files { if let sha = decodeHex(file.sha256) { try markBlob(txn, db, sha) } }
        guard pinLineage else { return }
        for d in version.lineage.datasets {
            if let h = d.sha256, let sha = decodeHex(h) { try markBlob(txn, db, sha) }
            if let m = d.md5, let md5 = decodeHex(m), let sha = try txn.get(db.md5, md5) { try markBlob(txn, db, sha) }
        }
    }

    /// Marks a pinned digest: a chunk, or a blob a session committed without an object.
    func markPin(_ txn: Transaction, _ db: Store.Databases, _ digest: [UInt8]) throws {
        chunks.insert(Digest32(digest))
        try markBlob(txn, db, digest)
    }
}

struct Candidate {
    let digest: [UInt8]
    let location: ChunkLocation
}

struct BlobCandidate {
    let sha256: [UInt8]
    let md5: [UInt8]
}

/// What planning found: the marks, the candidates for deletion and the projected report. Handed from the
/// planning thread to the collector task once.
struct GCPlan: @unchecked Sendable {
    var report = GCReport()
    var marks = Marks()
    var blobs: [BlobCandidate] = []
    var chunks: [Candidate] = []
}

extension Store {
    /// Marks from the roots in one read snapshot and lists what nothing references.
    func plan(_ options: GCOptions, packFiles: [PackStore.PackFile]) throws -> GCPlan {
        var plan = GCPlan()
        let now = Date()
        let youngPacks = Set(packFiles.filter { $0.modified >= now.addingTimeInterval(-options.grace) }.map(\.id))
        try environment.read { txn in
            try markRoots(txn, plan.marks, options, now: now)
            plan.report.markedBlobs = plan.marks.blobs.count
            let graceOnly = try findUnreferencedBlobs(txn, &plan, youngPacks: youngPacks)
            let liveBytes = try findUnreferencedChunks(txn, &plan, youngPacks: youngPacks, graceOnly: graceOnly)
            plan.report.markedChunks = plan.marks.chunks.count - graceOnly.count
            projectPacks(&plan, packFiles, youngPacks: youngPacks, liveBytes: liveBytes, compactBelow: options.compactBelow)
        }
        plan.report.candidateChunks = plan.chunks.count
        plan.report.candidateBlobs = plan.blobs.count
        plan.report.packs = packFiles.count
        plan.report.packBytesBefore = packFiles.reduce(0) { $0 + $1.size }
        return plan
    }

    /// Roots: objects, versions (files and, by policy, lineage datasets), open uploads' parts, live sessions' pins.
    private func markRoots(_ txn: Transaction, _ marks: Marks, _ options: GCOptions, now: Date) throws {
        try txn.scan(db.objects, from: []) { _, value in
            try marks.markBlob(txn, db, try ObjectRecord.decode(Array(value)).blob)
            return true
        }
        try txn.scan(db.versions, from: []) { _, value in
            try marks.markVersion(txn, db, Array(value), pinLineage: options.pinLineage)
            return true
        }
        var uploadAges: [String: Date] = [:]
        try txn.scan(db.uploads, from: []) { key, value in
            let id = String(decoding: key, as: UTF8.self)
            uploadAges[id] = try UploadRecord.decode(id: id, Array(value)).created
            return true
        }
        try txn.scan(db.parts, from: []) { key, value in
            guard let zero = key.firstIndex(of: 0) else { return true }
            let id = String(decoding: key[..<zero], as: UTF8.self)
            if let created = uploadAges[id], now.timeIntervalSince(created) > options.uploadMaxAge { return true }  // to be aborted
            marks.markChunks(try PartRecord.decode(number: 0, Array(value)).chunks)
            return true
        }
        var liveSessions: Set<[UInt8]> = []
        try txn.scan(db.sessions, from: []) { key, value in
            let record = try SessionRecord.decode(id: Array(key), Array(value))
            if now.timeIntervalSince(record.lastUsed) < self.sessionTTL { liveSessions.insert(record.id) }
            return true
        }
        try txn.scan(db.pins, from: []) { key, _ in
            guard key.count == 48, liveSessions.contains(Array(key[0..<16])) else { return true }
            try marks.markPin(txn, db, Array(key[16..<48]))
            return true
        }
    }

    /// Blobs nothing marked become candidates, unless a chunk of theirs sits in a young pack: such a blob is
    /// kept by the grace period, with all its chunks. Returns those chunks (`graceOnly`), to tell them apart
    /// from referenced ones.
    private func findUnreferencedBlobs(_ txn: Transaction, _ plan: inout GCPlan, youngPacks: Set<UInt64>) throws -> Set<Digest32> {
        let marks = plan.marks
        var graceOnly: Set<Digest32> = []
        try txn.scan(db.blobs, from: []) { key, value in
            plan.report.totalBlobs += 1
            if marks.blobs.contains(Digest32(key)) { return true }
            let sha = Array(key)
            let record = try BlobRecord.decode(sha256: sha, Array(value))
            for i in 0..<record.chunks.count {
                if let loc = try txn.get(db.chunks, record.chunks.digest(at: i)), youngPacks.contains(try ChunkLocation.decode(loc).pack) {
                    marks.blobs.insert(Digest32(sha))
                    record.chunks.digests.withUnsafeBytes { p in
                        for j in 0..<record.chunks.count {
                            let d = Digest32(UnsafeRawBufferPointer(rebasing: p[j * 32..<(j + 1) * 32]))
                            if marks.chunks.insert(d).inserted { graceOnly.insert(d) }
                        }
                    }
                    return true
                }
            }
            plan.blobs.append(BlobCandidate(sha256: sha, md5: record.md5))
            return true
        }
        return graceOnly
    }

    /// Chunks nothing marked (outside young packs) become candidates. Returns the live bytes per pack.
    private func findUnreferencedChunks(_ txn: Transaction, _ plan: inout GCPlan, youngPacks: Set<UInt64>,
                                        graceOnly: Set<Digest32>) throws -> [UInt64: Int] {
        let marks = plan.marks
        var liveBytes: [UInt64: Int] = [:]
        try txn.scan(db.chunks, from: []) { key, value in
            plan.report.totalChunks += 1
            let location = try ChunkLocation.decode(Array(value))
            let size = PackFormat.recordHeaderLength + Int(location.storedLength)
            let digest = Digest32(key)
            if marks.chunks.contains(digest) {
                if graceOnly.contains(digest) { plan.report.graceChunks += 1 }
                liveBytes[location.pack, default: 0] += size
            } else if youngPacks.contains(location.pack) {
                plan.report.graceChunks += 1
                liveBytes[location.pack, default: 0] += size
            } else {
                plan.chunks.append(Candidate(digest: Array(key), location: location))
                plan.report.candidateChunkBytes += size
            }
            return true
        }
        return liveBytes
    }

    /// What the packs would become (a real run seals the current pack first, so it counts too).
    private func projectPacks(_ plan: inout GCPlan, _ packFiles: [PackStore.PackFile], youngPacks: Set<UInt64>,
                              liveBytes: [UInt64: Int], compactBelow: Double) {
        for file in packFiles where !youngPacks.contains(file.id) {
            let live = liveBytes[file.id] ?? 0
            if live == 0 {
                plan.report.packsToDelete += 1
            } else if Double(live) < Double(file.size - PackFormat.headerLength) * compactBelow {
                plan.report.packsToCompact += 1
            }
        }
    }

    /// Marks what the writes since the snapshot reference.
    func absorbJournal(_ txn: Transaction, _ marks: Marks, pinLineage: Bool) throws {
        for entry in environment.journal.drain() {
            switch entry.db {
            case db.objects: try marks.markBlob(txn, db, try ObjectRecord.decode(entry.value).blob)
            case db.blobs:
                if let record = try? BlobRecord.decode(sha256: entry.key, entry.value) {
                    marks.blobs.insert(Digest32(entry.key))
                    marks.markChunks(record.chunks)
                }
            case db.chunks: if entry.key.count == 32 { marks.chunks.insert(Digest32(entry.key)) }
            case db.versions: try marks.markVersion(txn, db, entry.value, pinLineage: pinLineage)
            case db.pins: if entry.key.count == 48 { try marks.markPin(txn, db, Array(entry.key[16...])) }
            case db.parts: if let part = try? PartRecord.decode(number: 0, entry.value) { marks.markChunks(part.chunks) }
            default: break
            }
        }
    }

    /// Deletes sessions past their TTL (with their pins), aborts multipart uploads past `uploadMaxAge`, and
    /// forgets completions older than that (a retried completion of them gets NoSuchUpload).
    func expireSessionsAndUploads(_ txn: Transaction, ttl: TimeInterval, uploadMaxAge: TimeInterval) throws -> (Int, Int) {
        let now = Date()
        var sessions: [[UInt8]] = [], uploads: [String] = [], completions: [[UInt8]] = []
        try txn.scan(db.completedUploads, from: []) { key, value in
            let id = String(decoding: key, as: UTF8.self)
            if now.timeIntervalSince(try CompletedUploadRecord.decode(id: id, Array(value)).completed) > uploadMaxAge { completions.append(Array(key)) }
            return true
        }
        for key in completions { try txn.delete(db.completedUploads, key) }
        try txn.scan(db.sessions, from: []) { key, value in
            if now.timeIntervalSince(try SessionRecord.decode(id: Array(key), Array(value)).lastUsed) >= ttl { sessions.append(Array(key)) }
            return true
        }
        try txn.scan(db.uploads, from: []) { key, value in
            let id = String(decoding: key, as: UTF8.self)
            if now.timeIntervalSince(try UploadRecord.decode(id: id, Array(value)).created) > uploadMaxAge { uploads.append(id) }
            return true
        }
        for id in sessions { try Store.deleteSession(txn, db, id) }
        for id in uploads { try deleteUpload(txn, id) }
        return (sessions.count, uploads.count)
    }
}
