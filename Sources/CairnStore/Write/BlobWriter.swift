import CairnCore
import Foundation

/// The result of streaming one blob into the packs: identity, digests, chunk list and what the index
/// must learn at commit (new chunk locations, packs to fsync).
public struct IngestedBlob: Sendable {
    public var sha256: [UInt8]
    public var md5: [UInt8]
    public var size: UInt64
    public var chunks: ChunkList
    public var checksums: [ChecksumAlgorithm: [UInt8]]
    var newChunks: [(digest: [UInt8], location: ChunkLocation)]
    var packs: Set<UInt64>
    /// Bytes written to packs for this blob (after compression), for metrics and tests.
    public var storedBytes: UInt64
    /// Keeps the garbage collector away from the packs this blob's new chunks went to until it is committed.
    let ingest: IngestToken
}

/// Streams bytes through the pipeline: whole-content md5/sha256/checksums, content-defined chunking,
/// per-chunk sha256, dedupe against the index, zstd, pack append. Memory is bounded by two maximum chunks.
///
/// Nothing becomes visible here: the caller commits the returned `IngestedBlob` through the store.
public final class BlobWriter {
    private let store: Store
    private let chunker: Chunker
    private let digests: WholeContentDigester
    private let compressor = ZstdCompressor(level: 1)

    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private let record: UnsafeMutableRawBufferPointer

    private var size: UInt64 = 0
    private var chunks = ChunkList()
    private var newChunks: [(digest: [UInt8], location: ChunkLocation)] = []
    private var written: Set<[UInt8]> = []
    private var packs: Set<UInt64> = []
    private var storedBytes: UInt64 = 0
    private var incompressibleStreak = 0
    private let ingest: IngestToken

    init(store: Store, checksums: Set<ChecksumAlgorithm>) {
        self.store = store
        ingest = store.ingests.begin()
        self.chunker = Chunker(store.chunkerParameters)
        self.digests = WholeContentDigester(checksums: checksums)
        let maxSize = store.chunkerParameters.maxSize
        buffer = .allocate(byteCount: 2 * maxSize, alignment: 16)
        record = .allocate(byteCount: PackFormat.recordHeaderLength + ZstdCompressor.bound(maxSize), alignment: 16)
    }

    deinit {
        buffer.deallocate()
        record.deallocate()
    }

    public var bytesWritten: UInt64 { size }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        digests.update(bytes)
        size += UInt64(bytes.count)

        var input = bytes
        while !input.isEmpty {
            if end == buffer.count {
                // nextBoundary only waits for more bytes while fewer than maxSize are pending: room remains.
                let pending = end - start
                if start > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending) }
                start = 0
                end = pending
            }
            let n = min(buffer.count - end, input.count)
            (buffer.baseAddress! + end).copyMemory(from: input.baseAddress!, byteCount: n)
            end += n
            input = UnsafeRawBufferPointer(rebasing: input[n...])
            try cut(isFinal: false)
        }
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    private func cut(isFinal: Bool) throws {
        while end > start {
            let pending = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            guard let length = chunker.nextBoundary(in: pending, isFinal: isFinal) else { break }
            try storeChunk(UnsafeRawBufferPointer(rebasing: pending[0..<length]))
            start += length
        }
        if start == end { start = 0; end = 0 }
    }

    private func storeChunk(_ raw: UnsafeRawBufferPointer) throws {
        let digest = Hasher.digest(.sha256, raw)
        chunks.append(digest: digest, length: UInt32(raw.count))
        if written.contains(digest) { return }
        if try store.chunkLocation(digest) != nil { return }

        let header = PackFormat.recordHeaderLength
        let payload = UnsafeMutableRawBufferPointer(rebasing: record[header...])
        var stored = raw.count
        var compressed = false
        // Store raw unless zstd saves at least 1/8 (`compressionPays`): weights and compressed files barely shrink. After four
        // chunks in a row that did not shrink, only every 16th chunk is tried until one shrinks again, so an
        // incompressible stream (archives, random data) does not pay for compression attempts.
        let attempt = incompressibleStreak < 4 || incompressibleStreak % 16 == 0
        if attempt, let n = compressor.compress(raw, into: payload), compressionPays(raw: raw.count, compressed: n) {
            stored = n
            compressed = true
            incompressibleStreak = 0
        } else {
            payload.copyMemory(from: raw)
            incompressibleStreak += 1
        }
        PackFormat.writeRecordHeader(into: record, digest: digest, compressed: compressed, rawLength: raw.count, storedLength: stored)
        let (pack, offset) = try store.packs.append(UnsafeRawBufferPointer(rebasing: record[0..<header + stored]))
        newChunks.append((digest, ChunkLocation(pack: pack, offset: offset, storedLength: UInt32(stored), rawLength: UInt32(raw.count), compressed: compressed)))
        written.insert(digest)
        packs.insert(pack)
        storedBytes += UInt64(header + stored)
    }

    /// Cuts the last chunk and returns the blob. The writer must not be used afterwards.
    public func finish() throws -> IngestedBlob {
        try cut(isFinal: true)
        let (md5, sha256, sums) = digests.finish()
        return IngestedBlob(sha256: sha256, md5: md5, size: size, chunks: chunks, checksums: sums,
                            newChunks: newChunks, packs: packs, storedBytes: storedBytes, ingest: ingest)
    }
}
