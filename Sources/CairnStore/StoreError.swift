import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the store's operations. The S3 layer maps each to its S3 error code.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case noSuchBucket(String)
    case bucketAlreadyOwnedByYou(String)
    case bucketNotEmpty(String)
    case noSuchKey(bucket: String, key: String)
    case preconditionFailed
    case noSuchUpload(String)
    case invalidPart(String)
    case invalidPartOrder
    case entityTooSmall(part: Int)
    /// A request that contradicts what the store holds (a checksum type or size a completion does not match).
    case invalidRequest(String)
    /// A chunk's bytes do not hash to its address, or its record is unreadable: never served.
    case corruptChunk(String)
    case missingChunk(String)
    case shuttingDown
    /// A chunk this write deduplicated against was garbage-collected before the write committed: retry.
    case chunkCollected(String)
    /// Another garbage collection (or scrub) is running.
    case maintenanceRunning(String)
    /// A dedupe session that does not exist or has expired.
    case noSuchSession(String)
    /// Chunks a manifest names that the store does not hold (hex digests).
    case missingChunks([String])
    /// Uploaded bytes or a manifest whose digests do not match the content.
    case badDigest(String)
    /// Registry: the thing exists already, or is immutable.
    case registryConflict(String)
    case registryNotFound(String)
    /// Registry: malformed names, unknown blobs or parents.
    case registryInvalid(String)
    /// Registry: a protected alias moved without the force flag.
    case aliasProtected(String)

    public var description: String {
        switch self {
        case .noSuchBucket(let b): return "The specified bucket does not exist: \(b)"
        case .bucketAlreadyOwnedByYou(let b): return "Your previous request to create the named bucket succeeded and you already own it: \(b)"
        case .bucketNotEmpty(let b): return "The bucket you tried to delete is not empty: \(b)"
        case .noSuchKey(let b, let k): return "The specified key does not exist: \(b)/\(k)"
        case .preconditionFailed: return "At least one of the pre-conditions you specified did not hold"
        case .noSuchUpload(let id): return "The specified multipart upload does not exist: \(id)"
        case .invalidPart(let why): return "One or more of the specified parts could not be found or did not match: \(why)"
        case .invalidPartOrder: return "The list of parts was not in ascending order. Parts must be ordered by part number."
        case .entityTooSmall(let part): return "Your proposed upload is smaller than the minimum allowed object size (part \(part))."
        case .invalidRequest(let why): return why
        case .corruptChunk(let d): return "stored chunk \(d) is corrupt; the object cannot be served"
        case .missingChunk(let d): return "stored chunk \(d) is missing from the index"
        case .shuttingDown: return "the server is shutting down"
        case .chunkCollected(let d): return "chunk \(d) was garbage-collected while this write was in progress; please retry"
        case .maintenanceRunning(let what): return "\(what) is already running"
        case .noSuchSession(let id): return "The upload session does not exist or has expired: \(id)"
        case .missingChunks(let d): return "The store lacks \(d.count) chunk(s) the request names"
        case .badDigest(let why): return "The content does not match its digest: \(why)"
        case .registryConflict(let why), .registryNotFound(let why), .registryInvalid(let why), .aliasProtected(let why): return why
        }
    }
}

/// A failed system call on the store's files, with its errno text.
public struct StoreIOError: Error, CustomStringConvertible {
    public let description: String
    init(_ what: String, errno e: Int32 = errno) { description = "\(what): \(String(cString: strerror(e)))" }
    init(message: String) { description = message }
}
