import CairnCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A file descriptor closed when the last reference goes away.
final class FileHandle: @unchecked Sendable {  // the fd is immutable; pread/pwrite/fdatasync are thread safe
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}

/// The pack files of one store: appends to the current pack, reads by location, listing and deletion.
final class PackStore: Sendable {
    let directory: URL
    let maxPackSize: Int

    private struct State {
        /// The pack appends go to, and its size so far.
        var current: (id: UInt64, file: FileHandle, size: Int)?
        /// Open read handles, by pack.
        var readers: [UInt64: FileHandle] = [:]
    }

    private let state = Mutex(State())

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
        try state.withLock { state in
            if state.current == nil || state.current!.size + record.count > maxPackSize && state.current!.size > PackFormat.headerLength {
                try rotate(&state)
            }
            let (id, file, size) = state.current!
            try writeFully(file.fd, record, at: size)
            state.current!.size = size + record.count
            return (id, UInt64(size))
        }
    }

    /// Makes the records appended so far to `packs` durable. Packs already rotated out were synced then.
    func sync(_ packs: Set<UInt64>) throws {
        let file: FileHandle? = state.withLock { state in
            guard let current = state.current, packs.contains(current.id) else { return nil }
            return current.file
        }
        if let file, fdatasync(file.fd) != 0 { throw StoreIOError("fdatasync pack") }
    }

    private func rotate(_ state: inout State) throws {
        if let current = state.current {
            if fdatasync(current.file.fd) != 0 { throw StoreIOError("fdatasync pack") }
            state.current = nil
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
        state.current = (id, file, header.count)
    }

    private func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw StoreIOError("open directory \(path)") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw StoreIOError("fsync directory \(path)") }
    }

    private func reader(_ id: UInt64) throws -> FileHandle {
        try state.withLock { state in
            if let h = state.readers[id] { return h }
            let fd = open(path(id), O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw StoreIOError("open pack \(Self.fileName(id))") }
            if state.readers.count >= 512 { state.readers.removeAll(keepingCapacity: true) }
            let h = FileHandle(fd: fd)
            state.readers[id] = h
            return h
        }
    }

    /// Closes the current pack (made durable); the next append starts a new one. Lets a collection treat
    /// everything written so far like any other pack.
    func seal() throws {
        try state.withLock { state in
            guard let current = state.current else { return }
            if fdatasync(current.file.fd) != 0 { throw StoreIOError("fdatasync pack") }
            state.current = nil
        }
    }

    /// The pack appends go to now (never collected or compacted).
    var currentID: UInt64? { state.withLock { $0.current?.id } }

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
        state.withLock { _ = $0.readers.removeValue(forKey: id) }
        if unlink(path(id)) != 0 && errno != ENOENT { throw StoreIOError("delete pack \(Self.fileName(id))") }
    }

    /// Makes every pack appended to so far durable (the current one; rotated ones were synced then).
    func syncCurrent() throws {
        let file: FileHandle? = state.withLock { $0.current?.file }
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
