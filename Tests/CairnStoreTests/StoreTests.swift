import CairnCore
import CairnProtocol
@testable import CairnStore
import Foundation
import Testing

/// A store in a fresh temporary directory, removed afterwards.
final class TemporaryStore {
    let directory: URL
    var store: Store!

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-test-\(UUID().uuidString)")
        store = try Store.open(directory: directory)
    }

    func reopen() throws {
        store.close()
        store = nil  // LMDB forbids opening one environment twice in a process
        store = try Store.open(directory: directory)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        var v = state &* 0x2545F4914F6CDD1D
        for _ in 0..<8 where i < count { out[i] = UInt8(truncatingIfNeeded: v); v >>= 8; i += 1 }
    }
    return out
}

func ingest(_ store: Store, _ bytes: [UInt8], checksums: Set<ChecksumAlgorithm> = []) throws -> IngestedBlob {
    let writer = store.makeBlobWriter(checksums: checksums)
    // Feed in uneven pieces, as a network would.
    var offset = 0
    var step = 1000
    while offset < bytes.count {
        let n = min(step, bytes.count - offset)
        try writer.write(Array(bytes[offset..<offset + n]))
        offset += n
        step = step * 3 % 70_001 + 1
    }
    return try writer.finish()
}

func readAll(_ store: Store, bucket: String, key: String) throws -> [UInt8]? {
    guard let record = try store.object(bucket: bucket, key: key), let blob = try store.blob(record.blob) else { return nil }
    let reader = store.makeChunkReader()
    var out: [UInt8] = []
    for i in 0..<blob.chunks.count { out += try reader.read(blob.chunks.digest(at: i)) }
    return out
}

@Suite struct StoreTests {
    @Test func putGetRoundTripAndDigests() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let bytes = pseudoRandomBytes(1_500_000, seed: 7)
        let blob = try ingest(t.store, bytes, checksums: [.crc32])
        #expect(blob.size == UInt64(bytes.count))
        #expect(blob.md5 == Hasher.digest(.md5, bytes))
        #expect(blob.sha256 == Hasher.digest(.sha256, bytes))
        #expect(blob.chunks.count > 5)
        let record = try await t.store.putObject(bucket: "data", key: "a/b", blob: blob, headers: [("content-type", "x/y")], checksums: [])
        #expect(record.etag == Hasher.digest(.md5, bytes).hex)
        #expect(try readAll(t.store, bucket: "data", key: "a/b") == bytes)
    }

    @Test func identicalContentIsStoredOnceAcrossKeysAndBuckets() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("one")
        try await t.store.createBucket("two")
        let bytes = pseudoRandomBytes(2_000_000, seed: 11)
        let first = try ingest(t.store, bytes)
        try await t.store.putObject(bucket: "one", key: "x", blob: first, headers: [], checksums: [])
        let chunksAfterFirst = try t.store.statistics().chunks
        let second = try ingest(t.store, bytes)
        #expect(second.storedBytes == 0, "a second copy writes nothing to the packs")
        try await t.store.putObject(bucket: "two", key: "y", blob: second, headers: [], checksums: [])
        let stats = try t.store.statistics()
        #expect(stats.chunks == chunksAfterFirst)
        #expect(stats.blobs == 1)
        #expect(stats.objects == 2)
        #expect(try readAll(t.store, bucket: "two", key: "y") == bytes)
    }

    @Test func similarContentSharesChunks() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let v1 = pseudoRandomBytes(4_000_000, seed: 3)
        var v2 = v1
        v2.insert(contentsOf: [1, 2, 3, 4, 5], at: 100_000)
        let b1 = try ingest(t.store, v1)
        try await t.store.putObject(bucket: "data", key: "v1", blob: b1, headers: [], checksums: [])
        let b2 = try ingest(t.store, v2)
        try await t.store.putObject(bucket: "data", key: "v2", blob: b2, headers: [], checksums: [])
        #expect(b2.storedBytes < b1.storedBytes / 4, "an insert near the start rewrites only nearby chunks")
        #expect(try readAll(t.store, bucket: "data", key: "v2") == v2)
    }

    @Test func dataSurvivesReopenAndChunkerParametersAreRecorded() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let bytes = pseudoRandomBytes(300_000, seed: 5)
        try await t.store.putObject(bucket: "data", key: "k", blob: try ingest(t.store, bytes), headers: [], checksums: [])
        try t.reopen()
        #expect(t.store.chunkerParameters == .standard)
        #expect(try readAll(t.store, bucket: "data", key: "k") == bytes)
    }

    @Test func secondProcessCannotOpenTheSameStore() throws {
        let t = try TemporaryStore()
        #expect(throws: (any Error).self) { _ = try Store.open(directory: t.directory) }
    }

    @Test func conditionalCreateFailsWhenKeyExists() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let blob = try ingest(t.store, [1, 2, 3])
        try await t.store.putObject(bucket: "data", key: "k", blob: blob, headers: [], checksums: [], condition: .mustNotExist)
        let other = try ingest(t.store, [4, 5, 6])
        await #expect(throws: StoreError.preconditionFailed) {
            try await t.store.putObject(bucket: "data", key: "k", blob: other, headers: [], checksums: [], condition: .mustNotExist)
        }
        #expect(try readAll(t.store, bucket: "data", key: "k") == [1, 2, 3])
    }

    @Test func bucketRules() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        await #expect(throws: StoreError.bucketAlreadyOwnedByYou("data")) { try await t.store.createBucket("data") }
        try await t.store.putObject(bucket: "data", key: "k", blob: try ingest(t.store, [1]), headers: [], checksums: [])
        await #expect(throws: StoreError.bucketNotEmpty("data")) { try await t.store.deleteBucket("data") }
        await #expect(throws: StoreError.noSuchBucket("nope")) {
            try await t.store.putObject(bucket: "nope", key: "k", blob: try ingest(t.store, [1]), headers: [], checksums: [])
        }
        try await t.store.deleteObject(bucket: "data", key: "k")
        try await t.store.deleteBucket("data")
        #expect(try t.store.listBuckets().isEmpty)
    }

    @Test func listingOrderDelimiterAndPaging() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let keys = ["a", "b/1", "b/2", "b/3/x", "c", "é", "z/", "\u{10000}"]
        for k in keys.shuffled() {
            try await t.store.putObject(bucket: "data", key: k, blob: try ingest(t.store, Array(k.utf8)), headers: [], checksums: [])
        }
        let all = try t.store.list(bucket: "data", prefix: "", delimiter: nil, startAfter: nil, maxKeys: 1000)
        #expect(all.objects.map(\.key) == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(!all.isTruncated)

        let top = try t.store.list(bucket: "data", prefix: "", delimiter: "/", startAfter: nil, maxKeys: 1000)
        #expect(top.objects.map(\.key) == ["a", "c", "é", "\u{10000}"])
        #expect(top.commonPrefixes == ["b/", "z/"])

        let inB = try t.store.list(bucket: "data", prefix: "b/", delimiter: "/", startAfter: nil, maxKeys: 1000)
        #expect(inB.objects.map(\.key) == ["b/1", "b/2"])
        #expect(inB.commonPrefixes == ["b/3/"])

        // Page through with maxKeys 2: each page resumes after the last key or common prefix returned.
        var seen: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let page = try t.store.list(bucket: "data", prefix: "", delimiter: "/", startAfter: after, maxKeys: 2)
            seen += page.objects.map(\.key) + page.commonPrefixes
            after = page.last
            pages += 1
            if !page.isTruncated { break }
        } while pages < 10
        #expect(Set(seen) == Set(["a", "b/", "c", "é", "z/", "\u{10000}"]))
        #expect(seen.count == 6)
        #expect(pages == 3)

        let empty = try t.store.list(bucket: "data", prefix: "nothing/", delimiter: "/", startAfter: nil, maxKeys: 1)
        #expect(empty.objects.isEmpty && empty.commonPrefixes.isEmpty && !empty.isTruncated)
    }

    @Test func longKeysListInOrder() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let base = String(repeating: "p", count: 399)
        // Keys around the 400-byte index limit, several sharing their first 400 bytes.
        var keys = [base, base + "a", base + "b", base + "/x", base + "/y/z"]
        for tail in ["zz", "a", "m/1", "m/2", "b", String(repeating: "q", count: 600)] { keys.append(base + "c" + tail) }
        keys.append(base + "d" + String(repeating: "r", count: 500))
        for k in keys.shuffled() {
            try await t.store.putObject(bucket: "data", key: k, blob: try ingest(t.store, Array(k.utf8)), headers: [], checksums: [])
        }
        let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(try t.store.list(bucket: "data", prefix: "", delimiter: nil, startAfter: nil, maxKeys: 1000).objects.map(\.key) == sorted)
        for k in keys { #expect(try readAll(t.store, bucket: "data", key: k) == Array(k.utf8)) }

        var paged: [String] = []
        var after: String?
        for _ in 0..<20 {
            let page = try t.store.list(bucket: "data", prefix: "", delimiter: nil, startAfter: after, maxKeys: 2)
            paged += page.objects.map(\.key)
            after = page.last
            if !page.isTruncated { break }
        }
        #expect(paged == sorted)

        let grouped = try t.store.list(bucket: "data", prefix: base + "c", delimiter: "/", startAfter: nil, maxKeys: 1000)
        #expect(grouped.objects.map(\.key) == [base + "ca", base + "cb", base + "c" + String(repeating: "q", count: 600), base + "czz"])
        #expect(grouped.commonPrefixes == [base + "cm/"])
        try await t.store.deleteObject(bucket: "data", key: base + "cb")
        #expect(try t.store.object(bucket: "data", key: base + "cb") == nil)
        #expect(try t.store.object(bucket: "data", key: base + "ca") != nil)
    }

    @Test func multipartUploadConcatenatesPartsAndValidates() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let upload = try await t.store.createUpload(bucket: "data", key: "big", headers: [], checksumAlgorithm: nil)
        let p1 = pseudoRandomBytes(Int(Store.minimumPartSize), seed: 1)
        let p2 = pseudoRandomBytes(1000, seed: 2)
        let r1 = try await t.store.putPart(uploadID: upload.id, number: 1, blob: try ingest(t.store, p1), checksums: [])
        let r2 = try await t.store.putPart(uploadID: upload.id, number: 2, blob: try ingest(t.store, p2), checksums: [])

        func complete(_ parts: [(number: Int, etag: String)]) async throws -> CompletedUploadRecord {
            try await t.store.completeUpload(upload.id, bucket: "data", key: "big", Store.Completion(parts: parts))
        }
        await #expect(throws: StoreError.invalidPartOrder) { _ = try await complete([(2, r2.etag), (1, r1.etag)]) }
        await #expect(throws: StoreError.invalidPart("part 1")) { _ = try await complete([(1, "0123"), (2, r2.etag)]) }
        let r3 = try await t.store.putPart(uploadID: upload.id, number: 3, blob: try ingest(t.store, p2), checksums: [])
        await #expect(throws: StoreError.entityTooSmall(part: 2)) { _ = try await complete([(2, r2.etag), (3, r3.etag)]) }
        await #expect(throws: StoreError.noSuchUpload(upload.id)) {
            _ = try await t.store.completeUpload(upload.id, bucket: "data", key: "other", Store.Completion(parts: [(1, r1.etag), (2, r2.etag)]))
        }
        let done = try await complete([(1, "\"\(r1.etag)\""), (2, r2.etag)])
        let expectedETag = Hasher.digest(.md5, r1.md5 + r2.md5).hex + "-2"
        #expect(done.etag == expectedETag)
        let record = try #require(try t.store.object(bucket: "data", key: "big"))
        #expect(record.etag == expectedETag)
        #expect(record.md5 == Hasher.digest(.md5, p1 + p2))
        #expect(record.blob == Hasher.digest(.sha256, p1 + p2))
        #expect(record.partSizes == [UInt64(p1.count), UInt64(p2.count)])
        #expect(try readAll(t.store, bucket: "data", key: "big") == p1 + p2)
        #expect(try t.store.upload(upload.id) == nil)
        #expect(try t.store.statistics().parts == 0)
        await #expect(throws: StoreError.noSuchUpload(upload.id)) { try await t.store.abortUpload(upload.id) }

        // A retried completion with the same parts gets the same answer; with other parts, NoSuchUpload.
        let again = try await complete([(1, r1.etag), (2, "\"\(r2.etag.uppercased())\"")])
        #expect(again.etag == done.etag && again.bucket == "data" && again.key == "big")
        await #expect(throws: StoreError.noSuchUpload(upload.id)) { _ = try await complete([(1, r1.etag)]) }
        await #expect(throws: StoreError.noSuchUpload(upload.id)) {
            _ = try await t.store.completeUpload(upload.id, bucket: "data", key: "elsewhere", Store.Completion(parts: [(1, r1.etag), (2, r2.etag)]))
        }
    }

    /// Uploads two parts with `algorithm` checksums to a new upload of `type`.
    private func checksummedUpload(_ t: TemporaryStore, _ algorithm: ChecksumAlgorithm, _ type: MultipartChecksumType?,
                                   _ parts: [[UInt8]]) async throws -> (UploadRecord, [PartRecord]) {
        let upload = try await t.store.createUpload(bucket: "data", key: "sums", headers: [], checksumAlgorithm: algorithm, checksumType: type)
        var records: [PartRecord] = []
        for (i, bytes) in parts.enumerated() {
            let sum = StoredChecksum(algorithm: algorithm, value: base64Encode(algorithm.checksum(bytes)))
            records.append(try await t.store.putPart(uploadID: upload.id, number: i + 1, blob: try ingest(t.store, bytes), checksums: [sum]))
        }
        return (upload, records)
    }

    @Test(arguments: [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme])
    func fullObjectChecksumIsTheCRCOfTheWholeObject(_ algorithm: ChecksumAlgorithm) async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let p1 = pseudoRandomBytes(Int(Store.minimumPartSize) + 17, seed: 3), p2 = pseudoRandomBytes(3000, seed: 4)
        let (upload, parts) = try await checksummedUpload(t, algorithm, .fullObject, [p1, p2])
        #expect(upload.checksumType == .fullObject)
        let whole = base64Encode(algorithm.checksum(p1 + p2))
        var completion = Store.Completion(parts: parts.map { ($0.number, $0.etag) })
        completion.checksum = StoredChecksum(algorithm: algorithm, value: base64Encode(algorithm.checksum(p2 + p1)))
        await #expect(throws: StoreError.badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")) {
            _ = try await t.store.completeUpload(upload.id, bucket: "data", key: "sums", completion)
        }
        completion.checksum = StoredChecksum(algorithm: algorithm, value: whole)
        completion.checksumType = .composite
        await #expect(throws: StoreError.self) { _ = try await t.store.completeUpload(upload.id, bucket: "data", key: "sums", completion) }
        completion.checksumType = .fullObject
        completion.size = UInt64(p1.count + p2.count + 1)
        await #expect(throws: StoreError.self) { _ = try await t.store.completeUpload(upload.id, bucket: "data", key: "sums", completion) }
        completion.size = UInt64(p1.count + p2.count)
        let done = try await t.store.completeUpload(upload.id, bucket: "data", key: "sums", completion)
        #expect(done.checksums == [StoredChecksum(algorithm: algorithm, value: whole)])
        let record = try #require(try t.store.object(bucket: "data", key: "sums"))
        #expect(record.checksums == done.checksums)
        #expect(record.partChecksums == parts.flatMap(\.checksums))
    }

    @Test func compositeChecksumIsTheChecksumOfThePartChecksums() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let p1 = pseudoRandomBytes(Int(Store.minimumPartSize), seed: 5), p2 = pseudoRandomBytes(10, seed: 6)
        let (upload, parts) = try await checksummedUpload(t, .sha256, nil, [p1, p2])
        #expect(upload.checksumType == .composite)
        let done = try await t.store.completeUpload(upload.id, bucket: "data", key: "sums", Store.Completion(parts: parts.map { ($0.number, $0.etag) }))
        let composite = Hasher.digest(.sha256, Hasher.digest(.sha256, p1) + Hasher.digest(.sha256, p2))
        #expect(done.checksums == [StoredChecksum(algorithm: .sha256, value: base64Encode(composite) + "-2")])
    }

    @Test func corruptPackBytesAreNeverServed() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let bytes = pseudoRandomBytes(200_000, seed: 9)  // random: stored raw, so a flipped byte is a flipped content byte
        let blob = try ingest(t.store, bytes)
        try await t.store.putObject(bucket: "data", key: "k", blob: blob, headers: [], checksums: [])
        let digest = blob.chunks.digest(at: 0)
        let location = try #require(try t.store.locateChunk(digest))
        let handle = try Foundation.FileHandle(forUpdating: URL(fileURLWithPath: t.store.packPath(location.pack)))
        try handle.seek(toOffset: location.offset + 48 + 10)
        let original = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: location.offset + 48 + 10)
        handle.write(Data([original[0] ^ 0xff]))
        try handle.close()
        #expect(throws: StoreError.corruptChunk(digest.hex)) { _ = try t.store.makeChunkReader().read(digest) }
    }

    @Test func concurrentWritersAllCommit() async throws {
        let t = try TemporaryStore()
        try await t.store.createBucket("data")
        let store: Store = t.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<32 {
                group.addTask {
                    let bytes = pseudoRandomBytes(50_000 + i * 1000, seed: UInt64(i + 100))
                    try await store.putObject(bucket: "data", key: "k\(i)", blob: try ingest(store, bytes), headers: [], checksums: [])
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.statistics().objects == 32)
        for i in 0..<32 {
            #expect(try readAll(store, bucket: "data", key: "k\(i)") == pseudoRandomBytes(50_000 + i * 1000, seed: UInt64(i + 100)))
        }
    }

    /// `blob-refs` follows every way an object is written, overwritten and deleted, and is rebuilt for stores
    /// made before it existed.
    @Test func blobRefsFollowObjects() async throws {
        let t = try TemporaryStore()
        func places(_ blob: IngestedBlob) throws -> [String] { try t.store.objects(withBlob: blob.sha256).map { "\($0.bucket)/\($0.key)" }.sorted() }
        let longKey = String(repeating: "k", count: 1000)
        try await t.store.createBucket("a")
        try await t.store.createBucket("b")
        let one = try ingest(t.store, pseudoRandomBytes(100_000, seed: 1)), two = try ingest(t.store, pseudoRandomBytes(100_000, seed: 2))
        try await t.store.putObject(bucket: "a", key: "x", blob: one, headers: [], checksums: [])
        try await t.store.putObject(bucket: "b", key: longKey, blob: one, headers: [], checksums: [])
        let source = try #require(try t.store.object(bucket: "a", key: "x"))
        try await t.store.copyObject(from: source, toBucket: "b", key: "copy", headers: [])
        #expect(try places(one) == ["a/x", "b/copy", "b/\(longKey)"])

        try await t.store.putObject(bucket: "a", key: "x", blob: two, headers: [], checksums: [])  // overwrite
        try await t.store.deleteObject(bucket: "b", key: "copy")
        #expect(try places(one) == ["b/\(longKey)"])
        #expect(try places(two) == ["a/x"])

        // A store without the index (older format) gets it rebuilt on open.
        let db = t.store.db
        try t.store.environment.write { txn in
            _ = try txn.delete(db.meta, Array("blob-refs".utf8))
            var keys: [[UInt8]] = []
            try txn.scan(db.blobRefs, from: []) { k, _ in keys.append(Array(k)); return true }
            for k in keys { _ = try txn.delete(db.blobRefs, k) }
        }
        #expect(try places(one).isEmpty)
        try t.reopen()
        #expect(try places(one) == ["b/\(longKey)"])
        #expect(try places(two) == ["a/x"])
    }
}
