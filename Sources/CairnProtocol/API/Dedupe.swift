// The JSON answers of the native dedupe API (native-api.md). The binary bodies are in `Native/`.

/// `GET /api/v1/dedupe`: the server's chunker and request limits.
public struct DedupeConfiguration: Codable, Sendable, Equatable {
    public struct Chunker: Codable, Sendable, Equatable {
        public var minSize, avgSize, maxSize, normalization: Int

        public init(minSize: Int, avgSize: Int, maxSize: Int, normalization: Int) {
            self.minSize = minSize
            self.avgSize = avgSize
            self.maxSize = maxSize
            self.normalization = normalization
        }

        enum CodingKeys: String, CodingKey { case minSize = "min_size", avgSize = "avg_size", maxSize = "max_size", normalization }
    }

    public var version: Int
    public var chunker: Chunker
    public var maxBatchBytes: Int
    public var maxDigestsPerQuery: Int
    public var maxDigestsPerFetch: Int
    public var sessionTTLSeconds: Int

    public init(version: Int, chunker: Chunker, maxBatchBytes: Int, maxDigestsPerQuery: Int, maxDigestsPerFetch: Int, sessionTTLSeconds: Int) {
        self.version = version
        self.chunker = chunker
        self.maxBatchBytes = maxBatchBytes
        self.maxDigestsPerQuery = maxDigestsPerQuery
        self.maxDigestsPerFetch = maxDigestsPerFetch
        self.sessionTTLSeconds = sessionTTLSeconds
    }

    enum CodingKeys: String, CodingKey {
        case version, chunker, maxBatchBytes = "max_batch_bytes", maxDigestsPerQuery = "max_digests_per_query"
        case maxDigestsPerFetch = "max_digests_per_fetch", sessionTTLSeconds = "session_ttl_seconds"
    }
}

/// `POST /api/v1/dedupe/sessions`.
public struct SessionCreated: Codable, Sendable, Equatable {
    public var session: String
    /// ISO 8601, whole seconds.
    public var expiresAt: String

    public init(session: String, expiresAt: String) {
        self.session = session
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey { case session, expiresAt = "expires_at" }
}

/// `POST /api/v1/dedupe/sessions/{session}/chunks`.
public struct ChunksReceived: Codable, Sendable, Equatable {
    /// Frames in the body, frames newly stored, and body bytes.
    public var received, stored, bytes: Int

    public init(received: Int, stored: Int, bytes: Int) {
        self.received = received
        self.stored = stored
        self.bytes = bytes
    }
}

/// `POST /api/v1/dedupe/sessions/{session}/commit/{bucket}`: the objects made.
public struct ObjectsCommitted: Codable, Sendable, Equatable {
    public struct Object: Codable, Sendable, Equatable {
        public var key, etag: String
        public var size: Int
        public var sha256: String

        public init(key: String, etag: String, size: Int, sha256: String) {
            self.key = key
            self.etag = etag
            self.size = size
            self.sha256 = sha256
        }
    }

    public var objects: [Object]

    public init(objects: [Object]) { self.objects = objects }
}

/// `POST /api/v1/dedupe/sessions/{session}/blobs`: the blobs made (no objects).
public struct BlobsCommitted: Codable, Sendable, Equatable {
    public struct Blob: Codable, Sendable, Equatable {
        public var key, sha256, md5: String
        public var size: Int

        public init(key: String, sha256: String, md5: String, size: Int) {
            self.key = key
            self.sha256 = sha256
            self.md5 = md5
            self.size = size
        }
    }

    public var blobs: [Blob]

    public init(blobs: [Blob]) { self.blobs = blobs }
}
