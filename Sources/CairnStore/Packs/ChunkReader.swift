import CairnCore
import Foundation

/// Reads chunks back from the packs, verifying each chunk's sha256 before handing out its bytes.
public final class ChunkReader {
    private let store: Store
    private let decompressor = ZstdDecompressor()
    private var record: UnsafeMutableRawBufferPointer

    init(store: Store) {
        self.store = store
        record = .allocate(byteCount: PackFormat.recordHeaderLength + ZstdCompressor.bound(store.chunkerParameters.maxSize), alignment: 16)
    }

    deinit { record.deallocate() }

    /// The raw bytes of the chunk with this digest.
    public func read(_ digest: [UInt8]) throws -> [UInt8] {
        let (location, payload) = try readRecord(digest)
        return try decode(digest, location, payload)
    }

    /// Reads the chunk's pack record; returns its location and the payload (valid until the next read).
    func readRecord(_ digest: [UInt8]) throws -> (ChunkLocation, UnsafeRawBufferPointer) {
        guard var location = try store.chunkLocation(digest) else { throw store.absentChunkError(digest) }
        var needed = 0
        func read() throws {
            needed = PackFormat.recordHeaderLength + Int(location.storedLength)
            if needed > record.count {
                record.deallocate()
                record = .allocate(byteCount: needed, alignment: 16)
            }
            try store.packs.readRecord(location, into: record)
        }
        do {
            try read()
        } catch {
            // Compaction may have moved the chunk (and deleted its old pack) since the lookup: look once more.
            guard let moved = try store.chunkLocation(digest), moved != location else { throw StoreError.corruptChunk("\(digest.hex): \(error)") }
            location = moved
            do { try read() } catch { throw StoreError.corruptChunk("\(digest.hex): \(error)") }
        }
        guard let header = PackFormat.RecordHeader(UnsafeRawBufferPointer(record)), header.digest == digest else {
            throw StoreError.corruptChunk("\(digest.hex): record header does not match the index")
        }
        return (location, UnsafeRawBufferPointer(rebasing: record[PackFormat.recordHeaderLength..<needed]))
    }

    /// The raw bytes of a chunk without checking its sha256: only for callers that verify a digest over
    /// the whole content anyway (manifest commits).
    func readUnverified(_ digest: [UInt8]) throws -> [UInt8] {
        let (location, payload) = try readRecord(digest)
        return try decode(digest, location, payload, verify: false)
    }

    /// Decodes a stored payload and checks it hashes to `digest`.
    func decode(_ digest: [UInt8], _ location: ChunkLocation, _ payload: UnsafeRawBufferPointer, verify: Bool = true) throws -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: Int(location.rawLength))
        try raw.withUnsafeMutableBytes { out in
            if location.compressed {
                do { try decompressor.decompress(payload, into: out) } catch { throw StoreError.corruptChunk("\(digest.hex): \(error)") }
            } else {
                guard payload.count == out.count else { throw StoreError.corruptChunk("\(digest.hex): length") }
                out.copyMemory(from: payload)
            }
        }
        if verify && Hasher.digest(.sha256, raw) != digest { throw StoreError.corruptChunk(digest.hex) }
        return raw
    }
}
