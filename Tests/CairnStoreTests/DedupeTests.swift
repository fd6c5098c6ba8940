import CairnCore
import CairnProtocol
import CairnStore
import Foundation
import Testing

/// Chunks `bytes` with the store's chunker and frames each chunk (raw, or zstd when `compress`).
func framesAndManifest(_ store: Store, _ bytes: [UInt8], compress: Bool = false) -> (frames: [UInt8], manifest: Manifest) {
    let lengths = Chunker(store.chunkerParameters).chunkLengths(of: bytes)
    var frames: [UInt8] = [], digests: [UInt8] = []
    var offset = 0
    let compressor = ZstdCompressor()
    for n in lengths {
        let chunk = Array(bytes[offset..<offset + n])
        let digest = Hasher.digest(.sha256, chunk)
        digests += digest
        if compress {
            var out = [UInt8](repeating: 0, count: ZstdCompressor.bound(n))
            let m = chunk.withUnsafeBytes { src in out.withUnsafeMutableBytes { compressor.compress(src, into: $0)! } }
            ChunkFrame.appendHeader(to: &frames, digest: digest, rawLength: n, storedLength: m, zstd: true)
            frames += out[0..<m]
        } else {
            ChunkFrame.appendHeader(to: &frames, digest: digest, rawLength: n, storedLength: n, zstd: false)
            frames += chunk
        }
        offset += n
    }
    let manifest = Manifest(size: UInt64(bytes.count), sha256: Hasher.digest(.sha256, bytes), md5: Hasher.digest(.md5, bytes),
                            digests: digests, lengths: lengths.map { UInt32($0) })
    return (frames, manifest)
}

func upload(_ store: Store, _ frames: [UInt8], session: [UInt8]) async throws -> IngestedChunks {
    let ingester = store.makeChunkIngester()
    var decoder = ChunkFrameDecoder(maxChunk: store.chunkerParameters.maxSize)
    try frames.withUnsafeBytes { try decoder.feed($0) { try ingester.add($0, payload: $1) } }
    try await store.commitChunks(ingester.batch, session: session)
    return ingester.batch
}

@Suite struct DedupeTests {
    @Test func uploadedChunksCommitAsAnObject() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let data = pseudoRandomBytes(700_000, seed: 1) + [UInt8](repeating: 7, count: 300_000)
        let (frames, manifest) = framesAndManifest(store, data, compress: true)
        let session = try await store.createSession(owner: "me").id

        let digests = manifest.digests
        #expect(try await store.missingChunks(session: session, digests: digests) == digests)
        let batch = try await upload(store, frames, session: session)
        #expect(batch.stored == Set((0..<manifest.count).map { manifest.digest(at: $0) }).count)
        #expect(try await store.missingChunks(session: session, digests: digests).isEmpty)

        let records = try await store.commitManifests([KeyedManifest(key: "x/data.bin", manifest: manifest)], bucket: "b", session: session)
        #expect(records.first?.etag == Hasher.digest(.md5, data).hex)
        #expect(try readAll(store, bucket: "b", key: "x/data.bin") == data)
        #expect(try store.blob(md5: Hasher.digest(.md5, data))?.sha256 == manifest.sha256)

        // The same content again: nothing new is stored.
        let again = try await upload(store, frames, session: session)
        #expect(again.stored == 0)
    }

    @Test func blobOnlyCommitMakesNoObject() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        let data = pseudoRandomBytes(400_000, seed: 9)
        let (frames, manifest) = framesAndManifest(store, data)
        let session = try await store.createSession(owner: "me").id
        _ = try await upload(store, frames, session: session)
        try await store.commitManifests([KeyedManifest(key: "weights.bin", manifest: manifest)], bucket: nil, session: session)
        #expect(try store.blob(manifest.sha256)?.size == UInt64(data.count))
        #expect(try store.statistics().objects == 0)
        #expect(try store.objects(withBlob: manifest.sha256).isEmpty)
    }

    @Test func tamperedChunkIsRejected() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        let (frames, _) = framesAndManifest(store, pseudoRandomBytes(100_000, seed: 2))
        var tampered = frames
        tampered[ChunkFrame.headerLength + 10] ^= 1
        let ingester = store.makeChunkIngester()
        var decoder = ChunkFrameDecoder(maxChunk: store.chunkerParameters.maxSize)
        #expect(throws: StoreError.self) {
            try tampered.withUnsafeBytes { try decoder.feed($0) { try ingester.add($0, payload: $1) } }
        }
        #expect(try store.statistics().chunks == 0)
    }

    @Test func commitNamesMissingChunksAndWrongDigests() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        try await store.createBucket("b")
        let session = try await store.createSession(owner: "me").id
        let data = pseudoRandomBytes(200_000, seed: 3)
        let (frames, manifest) = framesAndManifest(store, data)

        do {
            _ = try await store.commitManifests([KeyedManifest(key: "k", manifest: manifest)], bucket: "b", session: session)
            Issue.record("commit without chunks succeeded")
        } catch StoreError.missingChunks(let missing) {
            #expect(Set(missing) == Set((0..<manifest.count).map { manifest.digest(at: $0).hex }))
        }
        _ = try await upload(store, frames, session: session)
        var lying = manifest
        lying.md5 = Hasher.digest(.md5, [1, 2, 3])
        await #expect(throws: StoreError.self) {
            try await store.commitManifests([KeyedManifest(key: "k", manifest: lying)], bucket: "b", session: session)
        }
        var wrongSHA = manifest
        wrongSHA.sha256 = Hasher.digest(.sha256, [1, 2, 3])
        await #expect(throws: StoreError.self) {
            try await store.commitManifests([KeyedManifest(key: "k", manifest: wrongSHA)], bucket: "b", session: session)
        }
        #expect(try store.object(bucket: "b", key: "k") == nil)
        #expect(try store.statistics().blobs == 0)
    }

    @Test func sessionsLiveUntilDeleted() async throws {
        let t = try TemporaryStore()
        let session = try await t.store.createSession(owner: "me").id
        #expect(try t.store.session(session)?.owner == "me")
        _ = try await t.store.missingChunks(session: session, digests: [UInt8](repeating: 0, count: 32))
        try await t.store.deleteSession(session)
        #expect(try t.store.session(session) == nil)
        await #expect(throws: StoreError.noSuchSession(session.hex)) {
            try await t.store.missingChunks(session: session, digests: [UInt8](repeating: 0, count: 32))
        }
    }

    @Test func sessionsExpire() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store.open(directory: directory, sessionTTL: 0.3)
        defer { store.close() }
        let session = try await store.createSession(owner: "me").id
        try await Task.sleep(for: .milliseconds(400))
        #expect(try store.session(session) == nil)
        await #expect(throws: StoreError.noSuchSession(session.hex)) {
            try await store.missingChunks(session: session, digests: [UInt8](repeating: 0, count: 32))
        }
    }
}
