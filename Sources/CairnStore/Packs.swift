import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
}

public struct StoreIOError: Error, CustomStringConvertible {
    public let description: String
    init(_ what: String, errno e: Int32 = errno) { description = "\(what): \(String(cString: strerror(e)))" }
    init(message: String) { description = message }
}

/// A file descriptor closed when the last reference goes away.
final class FileHandle: @unchecked Sendable {  // the fd is immutable; pread/pwrite/fdatasync are thread safe
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}

final class PackStore: @unchecked Sendable {  // mutable state guarded by `lock`
    let directory: URL
    let maxPackSize: Int

    private let lock = NSLock()
    private var current: (id: UInt64, file: FileHandle, size: Int)?
    private var readers: [UInt64: FileHandle] = [:]

    init(directory: URL, maxPackSize: Int = 64 << 20) throws {
        self.directory = directory
        self.maxPackSize = maxPackSize
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    static func fileName(_ id: UInt64) -> String {
        let hex = String(id, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        return "\(padded.prefix(2))/\(padded).pack"
    }

    func path(_ id: UInt64) -> String { directory.appendingPathComponent(Self.fileName(id)).path }

    /// Appends one encoded record (header + payload); returns the pack and offset it landed at.
    func append(_ record: UnsafeRawBufferPointer) throws -> (pack: UInt64, offset: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if current == nil || current!.size + record.count > maxPackSize && current!.size > PackFormat.headerLength {
            try rotate()
        }
        let (id, file, size) = current!
        try writeFully(file.fd, record, at: size)
        current!.size = size + record.count
        return (id, UInt64(size))
    }

    /// Makes the records appended so far to `packs` durable. Packs already rotated out were synced then.
    func sync(_ packs: Set<UInt64>) throws {
        let file: FileHandle? = lock.withLock {
            guard let current, packs.contains(current.id) else { return nil }
            return current.file
        }
        if let file, fdatasync(file.fd) != 0 { throw StoreIOError("fdatasync pack") }
    }

    private func rotate() throws {
        if let current {
            if fdatasync(current.file.fd) != 0 { throw StoreIOError("fdatasync pack") }
            self.current = nil
        }
        var id: UInt64 = 0
        while id == 0 { id = UInt64.random(in: 1...UInt64.max) }
        let path = self.path(id)
        let dir = (path as NSString).deletingLastPathComponent
        var createdDir = false
        if !FileManager.default.fileExists(atPath: dir) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            createdDir = true
        }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw StoreIOError("create pack \(path)") }
        let file = FileHandle(fd: fd)
        let header = PackFormat.fileHeader()
        try header.withUnsafeBytes { try writeFully(fd, $0, at: 0) }
        if fdatasync(fd) != 0 { throw StoreIOError("fdatasync new pack") }
        try syncDirectory(dir)
        if createdDir { try syncDirectory(directory.path) }
        current = (id, file, header.count)
    }

    private func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreIOError("open directory \(path)") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw StoreIOError("fsync directory \(path)") }
    }

    private func reader(_ id: UInt64) throws -> FileHandle {
        try lock.withLock {
            if let h = readers[id] { return h }
            let fd = open(path(id), O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw StoreIOError("open pack \(Self.fileName(id))") }
            if readers.count >= 512 { readers.removeAll(keepingCapacity: true) }
            let h = FileHandle(fd: fd)
            readers[id] = h
            return h
        }
    }

    /// Closes the current pack (made durable); the next append starts a new one. Lets a collection treat
    /// everything written so far like any other pack.
    func seal() throws {
        try lock.withLock {
            guard let current else { return }
            if fdatasync(current.file.fd) != 0 { throw StoreIOError("fdatasync pack") }
            self.current = nil
        }
    }

    /// The pack appends go to now (never collected or compacted).
    var currentID: UInt64? { lock.withLock { current?.id } }

    struct PackFile {
        let id: UInt64
        let size: Int
        let modified: Date
    }

    /// Every pack file on disk.
    func list() throws -> [PackFile] {
        var out: [PackFile] = []
        let fm = FileManager.default
        for dir in try fm.contentsOfDirectory(atPath: directory.path) where dir.count == 2 {
            let dirPath = directory.appendingPathComponent(dir).path
            for name in (try? fm.contentsOfDirectory(atPath: dirPath)) ?? [] where name.hasSuffix(".pack") && name.count == 21 {
                guard let id = UInt64(name.prefix(16), radix: 16) else { continue }
                guard let attributes = try? fm.attributesOfItem(atPath: dirPath + "/" + name),
                      let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { continue }
                out.append(PackFile(id: id, size: size, modified: modified))
            }
        }
        return out
    }

    /// Deletes a pack file the index no longer references. Readers holding it open finish their reads.
    func delete(_ id: UInt64) throws {
        lock.withLock { _ = readers.removeValue(forKey: id) }
        if unlink(path(id)) != 0 && errno != ENOENT { throw StoreIOError("delete pack \(Self.fileName(id))") }
    }

    /// Makes every pack appended to so far durable (the current one; rotated ones were synced then).
    func syncCurrent() throws {
        let file: FileHandle? = lock.withLock { current?.file }
        if let file, fdatasync(file.fd) != 0 { throw StoreIOError("fdatasync pack") }
    }

    /// Reads a whole record (header + payload) into `buffer`, which must hold at least 48 + storedLength bytes.
    func readRecord(_ location: ChunkLocation, into buffer: UnsafeMutableRawBufferPointer) throws {
        let file = try reader(location.pack)
        let length = PackFormat.recordHeaderLength + Int(location.storedLength)
        var done = 0
        while done < length {
            let n = pread(file.fd, buffer.baseAddress! + done, length - done, off_t(location.offset) + off_t(done))
            if n < 0 { if errno == EINTR { continue }; throw StoreIOError("read pack \(Self.fileName(location.pack))") }
            if n == 0 { throw StoreIOError(message: "pack \(Self.fileName(location.pack)) is shorter than its index says") }
            done += n
        }
    }
}

func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
    var done = 0
    while done < bytes.count {
        let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
        if n < 0 { if errno == EINTR { continue }; throw StoreIOError("write pack") }
        done += n
    }
}
