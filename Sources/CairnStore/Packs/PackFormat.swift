import Foundation

/// Pack files: append-only files of self-describing chunk records (grammar in storage-layout.md).
///
///     packs/<first two hex digits of id>/<16 hex digit id>.pack
///     file   = header record*
///     header = "CAIRNPAK" version:u32be(1) reserved:u32be(0)
///     record = "CCHK" flags:u8 reserved:3*0x00 sha256:32 rawLength:u32be storedLength:u32be payload:storedLength
///
/// Writers share the current pack (appends are serialised by a lock), so one fsync of it makes every
/// concurrent writer's records durable: group commit for free.
public struct PackFormat {
    public static let headerMagic: [UInt8] = Array("CAIRNPAK".utf8)
    public static let version: UInt32 = 1
    public static let headerLength = 16
    public static let recordMagic: [UInt8] = Array("CCHK".utf8)
    public static let recordHeaderLength = 48
    public static let flagZstd: UInt8 = 1

    static func fileHeader() -> [UInt8] {
        var w = ByteWriter(); w.raw(headerMagic); w.u32(version); w.u32(0); return w.bytes
    }

    /// Writes a record header into the first 48 bytes of `buffer`.
    static func writeRecordHeader(into buffer: UnsafeMutableRawBufferPointer, digest: [UInt8], compressed: Bool, rawLength: Int, storedLength: Int) {
        var w = ByteWriter(capacity: recordHeaderLength)
        w.raw(recordMagic); w.u8(compressed ? flagZstd : 0); w.raw([0, 0, 0]); w.raw(digest)
        w.u32(UInt32(rawLength)); w.u32(UInt32(storedLength))
        w.bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    /// A record header read back from a pack; nil unless `bytes` starts with the record magic.
    struct RecordHeader {
        var compressed: Bool
        var digest: [UInt8]
        var rawLength: UInt32
        var storedLength: UInt32

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= recordHeaderLength, bytes.prefix(4).elementsEqual(recordMagic) else { return nil }
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[4..<recordHeaderLength]))
            guard let flags = try? r.u8(), (try? r.raw(3)) != nil, let digest = try? r.raw(32),
                  let rawLength = try? r.u32(), let storedLength = try? r.u32() else { return nil }
            self.compressed = flags & flagZstd != 0
            self.digest = digest
            self.rawLength = rawLength
            self.storedLength = storedLength
        }
    }
}
