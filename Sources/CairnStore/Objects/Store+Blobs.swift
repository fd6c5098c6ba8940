import CairnCore
import CairnProtocol
import Foundation

extension Store {
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
    func commitBlob(_ txn: Transaction, sha256: [UInt8], md5: [UInt8], size: UInt64, chunks: ChunkList,
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
}
