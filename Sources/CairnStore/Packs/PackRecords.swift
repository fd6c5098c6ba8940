import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a pack record and checks it: header, decompression, sha256. Reuses its buffers.
final class RecordVerifier {
    private var record: UnsafeMutableRawBufferPointer
    private let raw: UnsafeMutableRawBufferPointer
    private let decompressor = ZstdDecompressor()

    init(maxChunk: Int) {
        record = .allocate(byteCount: PackFormat.recordHeaderLength + ZstdCompressor.bound(maxChunk), alignment: 16)
        raw = .allocate(byteCount: maxChunk, alignment: 16)
    }

    deinit {
        record.deallocate()
        raw.deallocate()
    }

    /// Nil when the record at `location` holds `digest`'s bytes; otherwise why not.
    func check(_ packs: PackStore, _ digest: [UInt8], _ location: ChunkLocation) -> String? {
        let needed = PackFormat.recordHeaderLength + Int(location.storedLength)
        guard needed <= record.count, Int(location.rawLength) <= raw.count else { return "record lengths exceed the chunk size limit" }
        do { try packs.readRecord(location, into: record) } catch { return "unreadable: \(error)" }
        guard let header = PackFormat.RecordHeader(UnsafeRawBufferPointer(record)), header.digest == digest else { return "the record header does not name this chunk" }
        let payload = UnsafeRawBufferPointer(rebasing: record[PackFormat.recordHeaderLength..<needed])
        let out = UnsafeMutableRawBufferPointer(rebasing: raw[0..<Int(location.rawLength)])
        if location.compressed {
            do { try decompressor.decompress(payload, into: out) } catch { return "zstd: \(error)" }
        } else {
            guard payload.count == out.count else { return "length mismatch" }
            out.copyMemory(from: payload)
        }
        guard Hasher.digest(.sha256, UnsafeRawBufferPointer(out)) == digest else { return "sha256 mismatch" }
        return nil
    }
}

extension PackStore {
    /// Reads the 48-byte record header at `location`.
    func readHeader(_ location: ChunkLocation, into buffer: UnsafeMutableRawBufferPointer) throws {
        try readRecord(ChunkLocation(pack: location.pack, offset: location.offset, storedLength: 0, rawLength: 0, compressed: false), into: buffer)
    }

    /// Visits every well-formed record of a pack in order (the packs' records describe themselves).
    func forEachRecord(_ id: UInt64, size: Int, _ visit: ([UInt8], ChunkLocation) throws -> Void) throws {
        let fd = open(path(id), O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw StoreIOError("open pack \(Self.fileName(id))") }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: PackFormat.recordHeaderLength)
        var offset = PackFormat.headerLength
        while offset + PackFormat.recordHeaderLength <= size {
            let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, PackFormat.recordHeaderLength, off_t(offset)) }
            guard n == PackFormat.recordHeaderLength, let record = header.withUnsafeBytes({ PackFormat.RecordHeader($0) }) else { return }  // torn tail
            guard offset + PackFormat.recordHeaderLength + Int(record.storedLength) <= size else { return }
            try visit(record.digest, ChunkLocation(pack: id, offset: UInt64(offset), storedLength: record.storedLength, rawLength: record.rawLength,
                                                   compressed: record.compressed))
            offset += PackFormat.recordHeaderLength + Int(record.storedLength)
        }
    }
}
