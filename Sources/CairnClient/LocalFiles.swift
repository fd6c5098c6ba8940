import CairnCore
import CairnProtocol
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A local file cut into content-defined chunks: its manifest and where each chunk starts.
struct ChunkedFile {
    var manifest: Manifest
    var offsets: [UInt64]
}

/// Describes a failed system call with the path and errno text ("No space left on device" for a full disk).
func ioError(_ what: String, _ path: String, _ code: Int32 = errno) -> ClientError {
    .local("\(what) \(path): \(String(cString: strerror(code)))")
}

/// An open file for positional reads and writes.
final class LocalFile: @unchecked Sendable {  // the descriptor is used with pread/pwrite only
    let path: String
    let fd: Int32

    init(reading path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ioError("cannot open", path) }
    }

    init(creating path: String, mode: mode_t = 0o644) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw ioError("cannot create", path) }
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 { if errno == EINTR { continue }; throw ioError("cannot read", path) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func read(_ length: Int, at offset: UInt64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        let n = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        guard n == length else { throw ClientError.local("\(path) changed while it was being sent (shorter than when it was read)") }
        return bytes
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 { if errno == EINTR { continue }; throw ioError("cannot write", path) }
            done += n
        }
    }

    func sync() throws { if fsync(fd) != 0 { throw ioError("cannot fsync", path) } }
}

/// Cuts a file with the server's chunker and hashes it: chunk sha256s and the whole sha256 on this thread,
/// the whole md5 (the slowest hash) on a second one.
func chunkFile(_ path: String, parameters: ChunkerParameters, withMD5: Bool = true, progress: ((Int) -> Void)? = nil) throws -> ChunkedFile {
    let file = try LocalFile(reading: path)
    let chunker = Chunker(parameters)
    let blockSize = 8 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize + parameters.maxSize, alignment: 16)
    defer { buffer.deallocate() }
    let digester = WholeContentDigester(md5: withMD5, sha256: false)
    let whole = Hasher(.sha256)
    var digests: [UInt8] = [], lengths: [UInt32] = [], offsets: [UInt64] = []
    var start = 0, end = 0
    var fileOffset: UInt64 = 0, chunkOffset: UInt64 = 0
    var eof = false
    while true {
        if !eof {
            if start > 0 {
                (buffer.baseAddress!).copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
                end -= start
                start = 0
            }
            let space = UnsafeMutableRawBufferPointer(rebasing: buffer[end..<min(buffer.count, end + blockSize)])
            let n = try file.read(into: space, at: fileOffset)
            if n == 0 { eof = true }
            let fresh = UnsafeRawBufferPointer(rebasing: buffer[end..<end + n])
            digester.update(fresh)
            whole.update(fresh)
            fileOffset += UInt64(n)
            end += n
            progress?(n)
        }
        while end > start {
            let pending = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            guard let length = chunker.nextBoundary(in: pending, isFinal: eof) else { break }
            digests.append(contentsOf: Hasher.digest(.sha256, UnsafeRawBufferPointer(rebasing: pending[0..<length])))
            lengths.append(UInt32(length))
            offsets.append(chunkOffset)
            chunkOffset += UInt64(length)
            start += length
        }
        if eof && start == end { break }
    }
    let sums = digester.finish()
    return ChunkedFile(manifest: Manifest(size: fileOffset, sha256: whole.finalize(), md5: sums.md5, digests: digests, lengths: lengths),
                       offsets: offsets)
}

/// A directory of verified chunks on the client, `chunks/<2 hex>/<64 hex>` holding the raw bytes.
/// Entries are written to a temporary name and renamed, so concurrent CLI runs can share a cache; every
/// read is checked against the digest, and a corrupt entry is deleted and fetched again.
final class ChunkCache: Sendable {
    let directory: URL
    private let corrupt = Mutex(0)

    init(directory: URL) throws {
        self.directory = directory.appendingPathComponent("chunks")
        do { try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true) } catch {
            throw ClientError.local("cannot create the chunk cache \(self.directory.path): \(error.localizedDescription)")
        }
    }

    var corruptEntries: Int { corrupt.withLock { $0 } }

    private func path(_ hex: String) -> String { directory.path + "/" + hex.prefix(2) + "/" + hex }

    /// The chunk's bytes if the cache holds a correct copy.
    func read(_ digest: [UInt8], length: Int) -> [UInt8]? {
        let p = path(digest.hex)
        guard let file = try? LocalFile(reading: p), let bytes = try? file.read(length, at: 0) else { return nil }
        var probe: UInt8 = 0
        if Hasher.digest(.sha256, bytes) != digest || pread(file.fd, &probe, 1, off_t(length)) != 0 {
            corrupt.withLock { $0 += 1 }
            unlink(p)
            return nil
        }
        return bytes
    }

    func write(_ digest: [UInt8], _ bytes: UnsafeRawBufferPointer) throws {
        let hex = digest.hex
        let final = path(hex)
        let dir = (final as NSString).deletingLastPathComponent
        let temp = "\(dir)/.\(hex).\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        var fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ENOENT {
            mkdir(dir, 0o755)
            fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        if fd < 0 { throw ioError("cannot write to the chunk cache", temp) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temp)
                throw ioError("cannot write to the chunk cache", temp, code)
            }
            done += n
        }
        close(fd)
        if rename(temp, final) != 0 { unlink(temp); throw ioError("cannot write to the chunk cache", final) }
    }
}

func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 { fsync(fd); close(fd) }
}
