import CairnCore
import CairnProtocol
@testable import CairnStore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

private func packBytes(_ store: Store) throws -> Int { try store.packs.list().reduce(0) { $0 + $1.size } }

private func collect(_ store: Store, compactBelow: Double = 0.5, afterPlan: (@Sendable () async throws -> Void)? = nil) async throws -> GCReport {
    var options = GCOptions()
    options.grace = 0
    options.compactBelow = compactBelow
    options.afterPlan = afterPlan
    return try await store.collectGarbage(options)
}

@Suite struct GarbageCollectorTests {
    @Test func freesWhatNothingReferencesAndKeepsTheRest() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let keep = pseudoRandomBytes(2_000_000, seed: 1), drop = pseudoRandomBytes(4_000_000, seed: 2)
        try await store.putObject(bucket: "b", key: "keep", blob: try ingest(store, keep), headers: [], checksums: [])
        try await store.putObject(bucket: "b", key: "drop", blob: try ingest(store, drop), headers: [], checksums: [])
        try await store.deleteObject(bucket: "b", key: "drop")
        let before = try packBytes(store)

        var dry = GCOptions()
        dry.grace = 0
        dry.dryRun = true
        let plan = try await store.collectGarbage(dry)
        #expect(plan.candidateBlobs == 1 && plan.candidateChunks > 0 && plan.freedChunks == 0)
        #expect(try packBytes(store) == before, "a dry run changes nothing")

        let report = try await collect(store)
        #expect(report.freedBlobs == 1 && report.freedChunks == plan.candidateChunks)
        #expect(try readAll(store, bucket: "b", key: "keep") == keep)
        #expect(try store.blob(md5: Hasher.digest(.md5, drop)) == nil)
        // Two thirds of the bytes were garbage: the pack was compacted down to the live third (plus headers).
        let after = try packBytes(store)
        #expect(after < before * 4 / 10 && after >= keep.count, "\(before) -> \(after): \(report)")
        let check = try await store.fsck()
        #expect(check.consistent, "\(check.problems)")
        // Nothing left to do.
        let again = try await collect(store)
        #expect(again.candidateChunks == 0 && again.packsCompacted == 0 && again.packsDeleted == 0)
    }

    @Test func rootsIncludeVersionsLineageUploadsAndSessions() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        let weights = pseudoRandomBytes(200_000, seed: 3), dataset = pseudoRandomBytes(200_000, seed: 4)
        let part = pseudoRandomBytes(200_000, seed: 5), pinned = pseudoRandomBytes(200_000, seed: 6)
        // A version's file and its lineage dataset, both with their objects deleted afterwards.
        let file = try await storedFile(store, "model.bin", weights)
        _ = try await storedFile(store, "data.csv", dataset)
        _ = try await store.createModel(ModelRecord(name: "m", createdBy: "t"))
        _ = try await store.createVersion(model: "m", VersionDraft(files: [file], lineage: Lineage(datasets: [DatasetRef(md5: Hasher.digest(.md5, dataset).hex)])), by: "t")
        try await store.deleteObjects(bucket: "files", keys: ["model.bin", "data.csv"])
        // An open multipart upload's part.
        let multipart = try await store.createUpload(bucket: "files", key: "big", headers: [], checksumAlgorithm: nil)
        try await store.putPart(uploadID: multipart.id, number: 1, blob: try ingest(store, part), checksums: [])
        // A chunk a live session uploaded.
        let session = try await store.createSession(owner: "t").id
        let (frames, manifest) = framesAndManifest(store, pinned)
        _ = try await upload(store, frames, session: session)

        let report = try await collect(store)
        #expect(report.freedBlobs == 0 && report.freedChunks == 0, "\(report)")

        var noLineage = GCOptions()
        noLineage.grace = 0
        noLineage.pinLineage = false
        let unpinned = try await store.collectGarbage(noLineage)
        #expect(unpinned.freedBlobs == 1, "the dataset blob goes when lineage does not pin it")
        #expect(try store.blob(md5: Hasher.digest(.md5, dataset)) == nil)
        #expect(try store.blob(md5: Hasher.digest(.md5, weights)) != nil)
        #expect(try store.chunkLocation(manifest.digest(at: 0)) != nil)
        #expect(try await store.fsck().consistent)
    }

    /// The race that broke other stores: a client learns a chunk is present, the collector (which planned
    /// before that) deletes candidates, the client commits. The query pinned the chunk, so it survives.
    @Test func aDedupeHitAfterPlanningRevivesTheChunk() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let data = pseudoRandomBytes(500_000, seed: 7)
        try await store.putObject(bucket: "b", key: "old", blob: try ingest(store, data), headers: [], checksums: [])
        try await store.deleteObject(bucket: "b", key: "old")
        let (_, manifest) = framesAndManifest(store, data)
        let session = try await store.createSession(owner: "client").id

        let report = try await collect(store) {
            // After the plan marked these chunks garbage: the client's query finds them all present...
            let missing = try await store.missingChunks(session: session, digests: manifest.digests)
            #expect(missing.isEmpty)
        }
        #expect(report.revived == manifest.count && report.freedChunks == 0, "\(report)")
        // ...and its commit, after the collection, succeeds with the bytes intact.
        try await store.commitManifests([KeyedManifest(key: "new", manifest: manifest)], bucket: "b", session: session)
        #expect(try readAll(store, bucket: "b", key: "new") == data)
    }

    @Test func anObjectWrittenAfterPlanningKeepsItsBlob() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let data = pseudoRandomBytes(400_000, seed: 8)
        let blob = try ingest(store, data)
        try await store.putObject(bucket: "b", key: "a", blob: blob, headers: [], checksums: [])
        let source = try #require(try store.object(bucket: "b", key: "a"))
        try await store.deleteObject(bucket: "b", key: "a")
        _ = try await collect(store) {
            try await store.copyObject(from: source, toBucket: "b", key: "copy", headers: [])
        }
        #expect(try readAll(store, bucket: "b", key: "copy") == data)
        #expect(try await store.fsck().consistent)
    }

    /// A PUT that deduplicated against chunks the collector then deleted fails cleanly (SlowDown, retried
    /// by clients) instead of committing an object with missing chunks.
    @Test func aWriteWhoseChunksWereCollectedFailsCleanly() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let data = pseudoRandomBytes(400_000, seed: 9)
        try await store.putObject(bucket: "b", key: "old", blob: try ingest(store, data), headers: [], checksums: [])
        try await store.deleteObject(bucket: "b", key: "old")
        let deduplicated = try ingest(store, data)  // found every chunk present: wrote none
        #expect(deduplicated.newChunks.isEmpty)
        _ = try await collect(store)
        await #expect(throws: StoreError.self) {
            try await store.putObject(bucket: "b", key: "new", blob: deduplicated, headers: [], checksums: [])
        }
        #expect(try store.object(bucket: "b", key: "new") == nil)
        // The retry stores the bytes again.
        try await store.putObject(bucket: "b", key: "new", blob: try ingest(store, data), headers: [], checksums: [])
        #expect(try readAll(store, bucket: "b", key: "new") == data)
    }

    @Test func packsOfIngestsInProgressAreLeftAlone() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let data = pseudoRandomBytes(400_000, seed: 10)
        let pending = try ingest(store, data)  // bytes in a pack, not yet in the index
        let report = try await collect(store, compactBelow: 1.0)
        #expect(report.packsDeleted == 0 && report.packsCompacted == 0)
        try await store.putObject(bucket: "b", key: "late", blob: pending, headers: [], checksums: [])
        #expect(try readAll(store, bucket: "b", key: "late") == data)
    }

    @Test func onlyOneCollectionAtATime() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        _ = try await collect(store) {
            await #expect(throws: StoreError.maintenanceRunning("garbage collection")) { try await collect(store) }
        }
        #expect(store.jobs.lastGC != nil)
    }

    @Test func scrubQuarantinesACorruptChunkAndNamesWhatItAffects() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let data = pseudoRandomBytes(300_000, seed: 11)
        try await store.putObject(bucket: "b", key: "victim", blob: try ingest(store, data), headers: [], checksums: [])
        let record = try #require(try store.object(bucket: "b", key: "victim"))
        let blob = try #require(try store.blob(record.blob))
        let location = try #require(try store.chunkLocation(blob.chunks.digest(at: 0)))
        // Flip one payload byte on disk.
        let fd = open(store.packs.path(location.pack), O_RDWR)
        var byte: UInt8 = 0
        let at = off_t(location.offset) + off_t(PackFormat.recordHeaderLength) + 10
        #expect(pread(fd, &byte, 1, at) == 1)
        byte ^= 0x40
        #expect(pwrite(fd, &byte, 1, at) == 1)
        close(fd)

        let report = try await store.scrub()
        #expect(report.corrupt.map(\.digest) == [blob.chunks.digest(at: 0).hex])
        #expect(report.affectedObjects == [AffectedObject(bucket: "b", key: "victim")])
        #expect(report.quarantined == 1)
        #expect(throws: StoreError.self) { try readAll(store, bucket: "b", key: "victim") }
        let check = try await store.fsck()
        #expect(check.quarantinedReferences == 1)
        // Uploading the same bytes again heals the object: the chunk is stored anew.
        try await store.putObject(bucket: "b", key: "again", blob: try ingest(store, data), headers: [], checksums: [])
        #expect(try readAll(store, bucket: "b", key: "victim") == data)
    }

    @Test func fsckRebuildsALostChunkIndex() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let data = pseudoRandomBytes(600_000, seed: 12)
        try await store.putObject(bucket: "b", key: "k", blob: try ingest(store, data), headers: [], checksums: [])
        let db = store.db
        let lost = try store.environment.write { txn in
            var keys: [[UInt8]] = []
            try txn.scan(db.chunks, from: []) { k, _ in keys.append(Array(k)); return true }
            for k in keys { try txn.delete(db.chunks, k) }
            return keys.count
        }
        let broken = try await store.fsck()
        #expect(!broken.consistent && broken.missingChunks == lost)
        let fixed = try await store.fsck(rebuildChunkIndex: true)
        #expect(fixed.rebuiltChunks == lost && fixed.consistent, "\(fixed.problems)")
        #expect(try readAll(store, bucket: "b", key: "k") == data)
    }
}
