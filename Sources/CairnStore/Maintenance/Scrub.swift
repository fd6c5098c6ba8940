import CairnCore
import CairnProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Store {
    // MARK: Scrub

    /// Re-reads every indexed chunk and verifies its sha256. A corrupt chunk is quarantined: moved from
    /// `chunks` to `quarantine`, so reads fail with a clear error instead of serving it, and a later upload
    /// of the same bytes stores a good copy. Reports the objects and model versions that include it.
    public func scrub() async throws -> ScrubReport {
        try jobs.begin("scrub")
        do {
            let report = try await runScrub()
            jobs.end(scrub: report)
            return report
        } catch {
            jobs.end(error: error)
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
}
