import Foundation

// The model registry's JSON API (native-api.md, openapi.json): what the server answers and the CLI reads.
// These are the API's own types: the store's records (CairnStore/Registry) may change without changing
// them, and the other way round.

public struct ModelInfo: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var tags: [String: String]
    public var createdAt: Date
    public var createdBy: String
    /// The highest version number assigned so far (0 before the first version).
    public var latestVersion: Int

    public init(name: String, description: String, tags: [String: String], createdAt: Date, createdBy: String, latestVersion: Int) {
        self.name = name
        self.description = description
        self.tags = tags
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.latestVersion = latestVersion
    }

    enum CodingKeys: String, CodingKey {
        case name, description, tags, createdAt = "created_at", createdBy = "created_by", latestVersion = "latest_version"
    }
}

public struct VersionFileInfo: Codable, Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var md5: String
    public var size: UInt64

    public init(path: String, sha256: String, md5: String, size: UInt64) {
        self.path = path
        self.sha256 = sha256
        self.md5 = md5
        self.size = size
    }
}

/// A dataset by md5 and/or sha256, with where it came from.
public struct DatasetInfo: Codable, Sendable, Equatable {
    public var md5: String?
    public var sha256: String?
    public var path: String?
    public var uri: String?
    public var dvcStage: String?

    public init(md5: String? = nil, sha256: String? = nil, path: String? = nil, uri: String? = nil, dvcStage: String? = nil) {
        self.md5 = md5
        self.sha256 = sha256
        self.path = path
        self.uri = uri
        self.dvcStage = dvcStage
    }

    enum CodingKeys: String, CodingKey { case md5, sha256, path, uri, dvcStage = "dvc_stage" }
}

public struct RunInfo: Codable, Sendable, Equatable {
    public var id: String
    public var link: String?
    public init(id: String, link: String? = nil) { self.id = id; self.link = link }
}

public struct GitInfo: Codable, Sendable, Equatable {
    public var commit: String
    public var repository: String?
    public init(commit: String, repository: String? = nil) { self.commit = commit; self.repository = repository }
}

public struct VersionRef: Codable, Sendable, Equatable, Hashable {
    public var model: String
    public var version: Int
    public init(model: String, version: Int) { self.model = model; self.version = version }
}

public struct LineageInfo: Codable, Sendable, Equatable {
    public var datasets: [DatasetInfo]
    public var runs: [RunInfo]
    public var git: GitInfo?
    public var parents: [VersionRef]

    public init(datasets: [DatasetInfo] = [], runs: [RunInfo] = [], git: GitInfo? = nil, parents: [VersionRef] = []) {
        self.datasets = datasets
        self.runs = runs
        self.git = git
        self.parents = parents
    }

    enum CodingKeys: String, CodingKey { case datasets, runs, git, parents }

    /// Every field is optional in JSON: a lineage names only what it knows.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        datasets = try c.decodeIfPresent([DatasetInfo].self, forKey: .datasets) ?? []
        runs = try c.decodeIfPresent([RunInfo].self, forKey: .runs) ?? []
        git = try c.decodeIfPresent(GitInfo.self, forKey: .git)
        parents = try c.decodeIfPresent([VersionRef].self, forKey: .parents) ?? []
    }
}

public struct VersionInfo: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int
    public var files: [VersionFileInfo]
    public var params: [String: String]
    public var metrics: [String: Double]
    public var metadata: [String: String]
    public var lineage: LineageInfo
    public var createdAt: Date
    public var createdBy: String

    public init(model: String, version: Int, files: [VersionFileInfo], params: [String: String], metrics: [String: Double],
                metadata: [String: String], lineage: LineageInfo, createdAt: Date, createdBy: String) {
        self.model = model
        self.version = version
        self.files = files
        self.params = params
        self.metrics = metrics
        self.metadata = metadata
        self.lineage = lineage
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    enum CodingKeys: String, CodingKey {
        case model, version, files, params, metrics, metadata, lineage, createdAt = "created_at", createdBy = "created_by"
    }
}

public struct AliasInfo: Codable, Sendable, Equatable {
    public var model: String
    public var alias: String
    public var version: Int
    public var protected: Bool
    public var updatedAt: Date
    public var updatedBy: String

    public init(model: String, alias: String, version: Int, protected: Bool, updatedAt: Date, updatedBy: String) {
        self.model = model
        self.alias = alias
        self.version = version
        self.protected = protected
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    enum CodingKeys: String, CodingKey { case model, alias, version, protected, updatedAt = "updated_at", updatedBy = "updated_by" }
}

/// One recorded alias change: set (no `from`), moved, or deleted (no `to`).
public struct AliasMoveInfo: Codable, Sendable, Equatable {
    public var at: Date
    public var by: String
    public var from: Int?
    public var to: Int?
    public var reason: String?

    public init(at: Date, by: String, from: Int?, to: Int?, reason: String?) {
        self.at = at
        self.by = by
        self.from = from
        self.to = to
        self.reason = reason
    }
}

// MARK: - Answers

/// `GET /api/v1/models`: a page; `next` is the `after` of the next page.
public struct ModelPage: Codable, Sendable, Equatable {
    public var models: [ModelInfo]
    public var next: String?
    public init(models: [ModelInfo], next: String?) { self.models = models; self.next = next }
}

/// `GET /api/v1/models/{model}/versions`: a page; `next` is the `after` of the next page.
public struct VersionPage: Codable, Sendable, Equatable {
    public var versions: [VersionInfo]
    public var next: Int?
    public init(versions: [VersionInfo], next: Int?) { self.versions = versions; self.next = next }
}

/// `GET /api/v1/models/{model}/aliases`.
public struct AliasList: Codable, Sendable, Equatable {
    public var aliases: [AliasInfo]
    public init(aliases: [AliasInfo]) { self.aliases = aliases }
}

/// `GET /api/v1/models/{model}/aliases/{alias}/history`.
public struct AliasHistory: Codable, Sendable, Equatable {
    public var model: String
    public var alias: String
    public var moves: [AliasMoveInfo]
    /// Present when the request asked `?at=`: the version the alias named then (null if none).
    public var versionAt: Int??

    public init(model: String, alias: String, moves: [AliasMoveInfo], versionAt: Int??) {
        self.model = model
        self.alias = alias
        self.moves = moves
        self.versionAt = versionAt
    }

    enum CodingKeys: String, CodingKey { case model, alias, moves, versionAt = "version_at" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(alias, forKey: .alias)
        try c.encode(moves, forKey: .moves)
        if let versionAt { try c.encode(versionAt, forKey: .versionAt) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        alias = try c.decode(String.self, forKey: .alias)
        moves = try c.decode([AliasMoveInfo].self, forKey: .moves)
        versionAt = c.contains(.versionAt) ? .some(try c.decodeIfPresent(Int.self, forKey: .versionAt)) : nil
    }
}

/// `GET …/lineage`: a version's upstream, with its parents' upstream inside.
public struct Upstream: Codable, Sendable, Equatable {
    public struct Dataset: Codable, Sendable, Equatable {
        public struct Blob: Codable, Sendable, Equatable {
            public var md5, sha256: String
            public var size: UInt64
        }

        public struct Location: Codable, Sendable, Equatable {
            public var bucket, key: String
        }

        /// The blob the dataset resolves to, when the store holds it.
        public var blob: Blob?
        public var dataset: DatasetInfo
        /// Objects whose content it is.
        public var locations: [Location]
        public var present: Bool
    }

    public var datasets: [Dataset]
    public var git: GitInfo?
    public var model: String
    public var parents: [Upstream]
    public var runs: [RunInfo]
    public var version: Int
}

/// `GET /api/v1/lineage/datasets/{digest}`.
public struct Downstream: Codable, Sendable, Equatable {
    public struct Version: Codable, Sendable, Equatable {
        public var model: String
        public var version: Int
        /// "direct", or the parent version it was derived from ("model@n").
        public var via: String

        public init(model: String, version: Int, via: String) {
            self.model = model
            self.version = version
            self.via = via
        }
    }

    public var dataset: String
    /// Versions that list the dataset, then versions derived from those (parents), each once.
    public var versions: [Version]

    public init(dataset: String, versions: [Version]) {
        self.dataset = dataset
        self.versions = versions
    }
}

// MARK: - Requests

/// `POST /api/v1/models`.
public struct CreateModelRequest: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var tags: [String: String]?

    public init(name: String, description: String? = nil, tags: [String: String]? = nil) {
        self.name = name
        self.description = description
        self.tags = tags
    }
}

/// `POST /api/v1/models/{model}/versions`.
public struct CreateVersionRequest: Codable, Sendable, Equatable {
    /// A file by the blob's sha256, or by an object (`bucket` and `key`) whose content it is.
    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String?
        public var bucket: String?
        public var key: String?

        public init(path: String, sha256: String? = nil, bucket: String? = nil, key: String? = nil) {
            self.path = path
            self.sha256 = sha256
            self.bucket = bucket
            self.key = key
        }
    }

    /// The number to create (409 if it exists); the next one when absent.
    public var version: Int?
    public var files: [File]
    public var params: [String: String]?
    public var metrics: [String: Double]?
    public var metadata: [String: String]?
    public var lineage: LineageInfo?
    /// Create the model with this version when it does not exist.
    public var createModel: Bool?

    public init(version: Int? = nil, files: [File], params: [String: String]? = nil, metrics: [String: Double]? = nil,
                metadata: [String: String]? = nil, lineage: LineageInfo? = nil, createModel: Bool? = nil) {
        self.version = version
        self.files = files
        self.params = params
        self.metrics = metrics
        self.metadata = metadata
        self.lineage = lineage
        self.createModel = createModel
    }

    enum CodingKeys: String, CodingKey { case version, files, params, metrics, metadata, lineage, createModel = "create_model" }
}

/// `PUT /api/v1/models/{model}/aliases/{alias}`.
public struct SetAliasRequest: Codable, Sendable, Equatable {
    public var version: Int
    public var reason: String?
    public var protected: Bool?
    public var force: Bool?

    public init(version: Int, reason: String? = nil, protected: Bool? = nil, force: Bool? = nil) {
        self.version = version
        self.reason = reason
        self.protected = protected
        self.force = force
    }
}
