import CairnCore
import Foundation

// The model registry's records (issue 4): models, immutable versions with lineage, movable aliases with
// history. They live in the store's LMDB environment so that a version's files and pinned datasets are
// garbage-collection roots consistent with the objects. Values are a format byte (1) followed by the
// record as UTF-8 JSON (field names as in these types' coding keys; storage-layout.md).

/// One file of a version: a path in the version's tree and the blob holding its bytes.
public struct VersionFile: Codable, Sendable, Equatable {
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

/// A dataset a version was trained or evaluated on, by md5 and/or sha256 (a DVC `deps` entry has md5).
public struct DatasetRef: Codable, Sendable, Equatable {
    public var md5: String?
    public var sha256: String?
    public var path: String?
    public var uri: String?
    /// The `dvc.lock` stage the entry came from, when registered from DVC.
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

public struct RunRef: Codable, Sendable, Equatable {
    public var id: String
    public var link: String?
    public init(id: String, link: String? = nil) { self.id = id; self.link = link }
}

public struct GitRef: Codable, Sendable, Equatable {
    public var commit: String
    public var repository: String?
    public init(commit: String, repository: String? = nil) { self.commit = commit; self.repository = repository }
}

/// A version this one was derived from (fine-tuned from, distilled from …).
public struct ParentRef: Codable, Sendable, Equatable, Hashable {
    public var model: String
    public var version: Int
    public init(model: String, version: Int) { self.model = model; self.version = version }
}

public struct Lineage: Codable, Sendable, Equatable {
    public var datasets: [DatasetRef] = []
    public var runs: [RunRef] = []
    public var git: GitRef?
    public var parents: [ParentRef] = []
    public init(datasets: [DatasetRef] = [], runs: [RunRef] = [], git: GitRef? = nil, parents: [ParentRef] = []) {
        self.datasets = datasets
        self.runs = runs
        self.git = git
        self.parents = parents
    }

    enum CodingKeys: String, CodingKey { case datasets, runs, git, parents }

    /// Every field is optional in JSON: a lineage names only what it knows.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        datasets = try c.decodeIfPresent([DatasetRef].self, forKey: .datasets) ?? []
        runs = try c.decodeIfPresent([RunRef].self, forKey: .runs) ?? []
        git = try c.decodeIfPresent(GitRef.self, forKey: .git)
        parents = try c.decodeIfPresent([ParentRef].self, forKey: .parents) ?? []
    }
}

public struct ModelRecord: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var tags: [String: String]
    public var createdAt: Date
    public var createdBy: String
    /// The highest version number assigned so far (0 before the first version).
    public var latestVersion: Int

    public init(name: String, description: String = "", tags: [String: String] = [:], createdAt: Date = Date(), createdBy: String, latestVersion: Int = 0) {
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

/// What a client supplies to create a version; the store assigns the number and the time.
public struct VersionDraft: Sendable, Equatable {
    public var files: [VersionFile]
    public var params: [String: String]
    public var metrics: [String: Double]
    public var metadata: [String: String]
    public var lineage: Lineage
    public init(files: [VersionFile], params: [String: String] = [:], metrics: [String: Double] = [:], metadata: [String: String] = [:], lineage: Lineage = Lineage()) {
        self.files = files
        self.params = params
        self.metrics = metrics
        self.metadata = metadata
        self.lineage = lineage
    }
}

public struct VersionRecord: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int
    public var files: [VersionFile]
    public var params: [String: String]
    public var metrics: [String: Double]
    public var metadata: [String: String]
    public var lineage: Lineage
    public var createdAt: Date
    public var createdBy: String

    enum CodingKeys: String, CodingKey {
        case model, version, files, params, metrics, metadata, lineage, createdAt = "created_at", createdBy = "created_by"
    }
}

public struct AliasRecord: Codable, Sendable, Equatable {
    public var model: String
    public var alias: String
    public var version: Int
    public var protected: Bool
    public var updatedAt: Date
    public var updatedBy: String

    enum CodingKeys: String, CodingKey { case model, alias, version, protected, updatedAt = "updated_at", updatedBy = "updated_by" }
}

/// One recorded alias change: set (from nil), moved, or deleted (to nil).
public struct AliasMove: Codable, Sendable, Equatable {
    public var at: Date
    public var by: String
    public var from: Int?
    public var to: Int?
    public var reason: String?
}

/// Model names are what people call their models, MLflow's included ("Fraud Detector", "team/Vision.v2"):
/// segments separated by `/`, 1–200 bytes in all. A segment is any text without control characters, `/`
/// or `@` (which separates a name from its alias or version), not starting with `.` or white space, not
/// ending with white space, and not one of `reservedSegments`.
public enum RegistryNames {
    public static func isValidModel(_ name: String) -> Bool {
        guard (1...200).contains(name.utf8.count) else { return false }
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        return segments.allSatisfy { isValidSegment($0) && !reservedSegments.contains(String($0)) }
    }

    /// Words that end a model name in API paths (`/models/<name>/versions/…`), so no name segment may be one.
    public static let reservedSegments: Set<String> = ["versions", "aliases", "files", "lineage"]

    /// Alias names: letters (any case or script), digits, `-`, `_`, `.`, at most 255 bytes, not starting
    /// with `.`, and not all digits (so `name@3` is always a version number). MLflow's `^[\w\-]*$` fits.
    public static func isValidAlias(_ name: String) -> Bool {
        guard name.utf8.count <= 255, isValidSegment(name[...]), !name.allSatisfy(\.isNumber) else { return false }
        return name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0) }
    }

    static func isValidSegment(_ s: Substring) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last, first != ".",
              !first.properties.isWhitespace, !last.properties.isWhitespace else { return false }
        return s.unicodeScalars.allSatisfy { c in
            c != "/" && c != "@" && c.properties.generalCategory != .control && c.properties.generalCategory != .format
                && c.properties.generalCategory != .unassigned && c.properties.generalCategory != .surrogate
        }
    }
}

enum RecordJSON {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .millisecondsSince1970
        return e
    }()

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] { [1] + Array(try encoder.encode(value)) }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        guard bytes.first == 1 else { throw DecodeError(what: "registry record version \(bytes.first.map(String.init) ?? "none")") }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .millisecondsSince1970
        do { return try d.decode(type, from: Data(bytes.dropFirst())) } catch { throw DecodeError(what: "registry record: \(error)") }
    }
}
