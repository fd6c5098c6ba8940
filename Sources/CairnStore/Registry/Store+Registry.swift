import CairnCore
import Foundation

/// Index keys of the registry databases (storage-layout.md, "Model registry").
enum RegistryKeys {
    static func version(_ model: String, _ n: Int) -> [UInt8] {
        var w = ByteWriter(); w.raw(Array(model.utf8)); w.u8(0); w.u32(UInt32(n)); return w.bytes
    }
    static func alias(_ model: String, _ alias: String) -> [UInt8] { Array(model.utf8) + [0] + Array(alias.utf8) }
    static func move(_ model: String, _ name: String, _ seq: UInt64) -> [UInt8] {
        var w = ByteWriter(); w.raw(alias(model, name)); w.u8(0); w.u64(seq); return w.bytes
    }
    /// `datasets`: "m" + md5 (16 bytes) or "s" + sha256 (32 bytes), then the version key.
    static func dataset(_ digest: DatasetDigest, _ model: String, _ n: Int) -> [UInt8] { digest.key + version(model, n) }
    static func child(_ parent: ParentRef, _ model: String, _ n: Int) -> [UInt8] { version(parent.model, parent.version) + version(model, n) }

    /// Splits `name 0x00 u32` off the front of `bytes`.
    static func parseVersion(_ bytes: ArraySlice<UInt8>) -> (ParentRef, rest: ArraySlice<UInt8>)? {
        guard let zero = bytes.firstIndex(of: 0), bytes.endIndex - zero >= 5, let name = String(validating: bytes[bytes.startIndex..<zero], as: UTF8.self) else { return nil }
        let n = bytes[zero + 1..<zero + 5].reduce(0) { $0 << 8 | Int($1) }
        return (ParentRef(model: name, version: n), bytes[(zero + 5)...])
    }
}

/// A dataset identity: md5 (DVC) or sha256.
public enum DatasetDigest: Sendable, Equatable, Hashable {
    case md5([UInt8])
    case sha256([UInt8])

    /// Parses `md5:<32 hex>` or `sha256:<64 hex>`.
    public init?(parsing text: String) {
        let lower = text.lowercased()
        if lower.hasPrefix("md5:"), lower.count == 36, let d = decodeHex(lower.dropFirst(4)) { self = .md5(d); return }
        if lower.hasPrefix("sha256:"), lower.count == 71, let d = decodeHex(lower.dropFirst(7)) { self = .sha256(d); return }
        return nil
    }

    var key: [UInt8] {
        switch self {
        case .md5(let d): return [UInt8(ascii: "m")] + d
        case .sha256(let d): return [UInt8(ascii: "s")] + d
        }
    }

    public var description: String {
        switch self {
        case .md5(let d): return "md5:\(d.hex)"
        case .sha256(let d): return "sha256:\(d.hex)"
        }
    }
}

extension DatasetRef {
    var digests: [DatasetDigest] {
        var out: [DatasetDigest] = []
        if let md5, let d = decodeHex(md5), d.count == 16 { out.append(.md5(d)) }
        if let sha256, let d = decodeHex(sha256), d.count == 32 { out.append(.sha256(d)) }
        return out
    }
}

extension Date {
    /// Now, truncated to whole milliseconds (what records store), so a returned record equals the stored one.
    static var nowInMilliseconds: Date { Date(timeIntervalSince1970: floor(Date().timeIntervalSince1970 * 1000) / 1000) }
}

extension Store {
    // MARK: Models

    public func createModel(_ model: ModelRecord) async throws -> ModelRecord {
        var normalized = model
        normalized.createdAt = Date(timeIntervalSince1970: floor(model.createdAt.timeIntervalSince1970 * 1000) / 1000)
        let record = normalized
        guard RegistryNames.isValidModel(record.name) else { throw StoreError.registryInvalid("invalid model name \(record.name)") }
        let db = self.db
        let value = try RecordJSON.encode(record)
        return try await committer.write { txn in
            guard try txn.put(db.models, Array(record.name.utf8), value, onlyIfAbsent: true) else {
                throw StoreError.registryConflict("model \(record.name) exists")
            }
            return record
        }
    }

    public func model(_ name: String) throws -> ModelRecord? {
        try environment.read { txn in try txn.get(db.models, Array(name.utf8)).map { try RecordJSON.decode(ModelRecord.self, $0) } }
    }

    /// Models whose name starts with `prefix` and that carry all of `tags`, in name order after `after`.
    public func models(prefix: String, tags: [String: String], after: String?, limit: Int) throws -> (models: [ModelRecord], more: Bool) {
        try environment.read { txn in
            var out: [ModelRecord] = []
            var more = false
            let start = after.map { Array($0.utf8) + [0] } ?? Array(prefix.utf8)
            try txn.scan(db.models, from: start) { key, value in
                guard key.starts(with: prefix.utf8) else { return false }
                let record = try RecordJSON.decode(ModelRecord.self, Array(value))
                guard tags.allSatisfy({ record.tags[$0.key] == $0.value }) else { return true }
                if out.count == limit { more = true; return false }
                out.append(record)
                return true
            }
            return (out, more)
        }
    }

    // MARK: Versions

    /// Creates the model's next version. Every file's blob must be in the store and every parent must exist.
    /// With `number`, creation fails with a conflict unless that is the next number (the version exists).
    /// With `creating`, a missing model is created in the same transaction (one step for `cairn model register`).
    public func createVersion(model: String, _ draft: VersionDraft, by: String, number: Int? = nil, creating: ModelRecord? = nil) async throws -> VersionRecord {
        var seen: Set<String> = []
        for file in draft.files {
            let segments = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.isEmpty, file.path.utf8.count <= 1024, !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
                  !file.path.utf8.contains(0) else {
                throw StoreError.registryInvalid("file path \(file.path.debugDescription) is not a safe relative path")
            }
            guard seen.insert(file.path).inserted else { throw StoreError.registryInvalid("file path \(file.path) appears twice") }
        }
        let db = self.db
        return try await committer.write { txn in
            var m: ModelRecord
            if let bytes = try txn.get(db.models, Array(model.utf8)) {
                m = try RecordJSON.decode(ModelRecord.self, bytes)
            } else if let creating, creating.name == model, RegistryNames.isValidModel(model) {
                m = creating
            } else {
                throw StoreError.registryNotFound("model \(model) does not exist")
            }
            let n = m.latestVersion + 1
            if let number, number != n {
                if number >= 1 && number <= m.latestVersion { throw StoreError.registryConflict("version \(number) of \(model) exists and is immutable") }
                throw StoreError.registryInvalid("the next version of \(model) is \(n), not \(number)")
            }
            var files = draft.files
            for i in files.indices {
                guard let sha = decodeHex(files[i].sha256), sha.count == 32, let blobBytes = try txn.get(db.blobs, sha) else {
                    throw StoreError.registryInvalid("file \(files[i].path): no blob with sha256 \(files[i].sha256) in the store")
                }
                let blob = try BlobRecord.decode(sha256: sha, blobBytes)
                files[i].sha256 = sha.hex
                files[i].md5 = blob.md5.hex
                files[i].size = blob.size
            }
            for parent in draft.lineage.parents where try !txn.contains(db.versions, RegistryKeys.version(parent.model, parent.version)) {
                throw StoreError.registryInvalid("parent \(parent.model)@\(parent.version) does not exist")
            }
            let record = VersionRecord(model: model, version: n, files: files.sorted { $0.path < $1.path }, params: draft.params, metrics: draft.metrics,
                                       metadata: draft.metadata, lineage: draft.lineage, createdAt: .nowInMilliseconds, createdBy: by)
            try txn.put(db.versions, RegistryKeys.version(model, n), try RecordJSON.encode(record))
            for dataset in draft.lineage.datasets {
                for digest in dataset.digests { try txn.put(db.datasets, RegistryKeys.dataset(digest, model, n), []) }
            }
            for parent in draft.lineage.parents { try txn.put(db.children, RegistryKeys.child(parent, model, n), []) }
            m.latestVersion = n
            try txn.put(db.models, Array(model.utf8), try RecordJSON.encode(m))
            return record
        }
    }

    public func version(model: String, _ n: Int) throws -> VersionRecord? {
        guard n >= 1, n <= Int(UInt32.max) else { return nil }
        let key = RegistryKeys.version(model, n)
        if let cached = versionCache[key] { return cached }
        let record = try environment.read { txn in
            try txn.get(db.versions, key).map { try RecordJSON.decode(VersionRecord.self, $0) }
        }
        if let record { versionCache[key] = record }
        return record
    }

    /// The model's versions in number order after `after`.
    public func versions(model: String, after: Int, limit: Int) throws -> (versions: [VersionRecord], more: Bool) {
        try environment.read { txn in
            var out: [VersionRecord] = []
            var more = false
            let prefix = Array(model.utf8) + [0]
            try txn.scan(db.versions, from: RegistryKeys.version(model, after + 1)) { key, value in
                guard key.count == prefix.count + 4, key.starts(with: prefix) else { return false }
                if out.count == limit { more = true; return false }
                out.append(try RecordJSON.decode(VersionRecord.self, Array(value)))
                return true
            }
            return (out, more)
        }
    }

    // MARK: Aliases

    public func alias(model: String, _ alias: String) throws -> AliasRecord? {
        try environment.read { txn in try txn.get(db.aliases, RegistryKeys.alias(model, alias)).map { try RecordJSON.decode(AliasRecord.self, $0) } }
    }

    /// The model's aliases in name order.
    public func aliases(model: String) throws -> [AliasRecord] {
        try environment.read { txn in
            var out: [AliasRecord] = []
            let prefix = Array(model.utf8) + [0]
            try txn.scan(db.aliases, from: prefix) { key, value in
                guard key.starts(with: prefix) else { return false }
                out.append(try RecordJSON.decode(AliasRecord.self, Array(value)))
                return true
            }
            return out
        }
    }

    /// Points `alias` at `version` (creating it), recording the move. Moving or unprotecting a protected
    /// alias needs `force`. `protect` nil keeps the current protection.
    @discardableResult
    public func setAlias(model: String, _ alias: String, version: Int, by: String, reason: String? = nil, protect: Bool? = nil, force: Bool = false) async throws -> AliasRecord {
        guard RegistryNames.isValidAlias(alias) else { throw StoreError.registryInvalid("invalid alias name \(alias)") }
        let db = self.db
        return try await committer.write { txn in
            guard try txn.contains(db.models, Array(model.utf8)) else { throw StoreError.registryNotFound("model \(model) does not exist") }
            guard try txn.contains(db.versions, RegistryKeys.version(model, version)) else { throw StoreError.registryNotFound("version \(version) of \(model) does not exist") }
            let key = RegistryKeys.alias(model, alias)
            let current = try txn.get(db.aliases, key).map { try RecordJSON.decode(AliasRecord.self, $0) }
            if let current, current.protected, !force, current.version != version {
                throw StoreError.aliasProtected("alias \(alias) of \(model) is protected: moving it needs the explicit force flag")
            }
            let record = AliasRecord(model: model, alias: alias, version: version, protected: protect ?? current?.protected ?? false, updatedAt: .nowInMilliseconds, updatedBy: by)
            try txn.put(db.aliases, key, try RecordJSON.encode(record))
            if current?.version != version {
                try self.recordMove(txn, model, alias, AliasMove(at: record.updatedAt, by: by, from: current?.version, to: version, reason: reason))
            } else if let current, current.protected != record.protected {
                // A protection change is part of the alias's history too.
                try self.recordMove(txn, model, alias, AliasMove(at: record.updatedAt, by: by, from: version, to: version,
                                                                 reason: reason ?? (record.protected ? "protected" : "unprotected")))
            }
            return record
        }
    }

    public func deleteAlias(model: String, _ alias: String, by: String, reason: String? = nil, force: Bool = false) async throws {
        let db = self.db
        try await committer.write { txn in
            let key = RegistryKeys.alias(model, alias)
            guard let bytes = try txn.get(db.aliases, key) else { throw StoreError.registryNotFound("alias \(alias) of \(model) does not exist") }
            let current = try RecordJSON.decode(AliasRecord.self, bytes)
            if current.protected && !force { throw StoreError.aliasProtected("alias \(alias) of \(model) is protected: deleting it needs the explicit force flag") }
            try txn.delete(db.aliases, key)
            try self.recordMove(txn, model, alias, AliasMove(at: .nowInMilliseconds, by: by, from: current.version, to: nil, reason: reason))
        }
    }

    private func recordMove(_ txn: Transaction, _ model: String, _ alias: String, _ move: AliasMove) throws {
        // Keyed by time in milliseconds; a second move in the same millisecond takes the next free key.
        var seq = UInt64(max(0, move.at.timeIntervalSince1970 * 1000))
        let value = try RecordJSON.encode(move)
        while try !txn.put(db.aliasMoves, RegistryKeys.move(model, alias, seq), value, onlyIfAbsent: true) { seq += 1 }
    }

    /// Every recorded move of the alias, oldest first.
    public func aliasHistory(model: String, _ alias: String) throws -> [AliasMove] {
        try environment.read { txn in
            var out: [AliasMove] = []
            let prefix = RegistryKeys.alias(model, alias) + [0]
            try txn.scan(db.aliasMoves, from: prefix) { key, value in
                guard key.count == prefix.count + 8, key.starts(with: prefix) else { return false }
                out.append(try RecordJSON.decode(AliasMove.self, Array(value)))
                return true
            }
            return out
        }
    }

    /// The version the alias pointed at, at time `at` (nil when it did not exist then).
    public func aliasVersion(model: String, _ alias: String, at: Date) throws -> Int? {
        try aliasHistory(model: model, alias).last { $0.at <= at }?.to
    }

    // MARK: Lineage indexes

    /// Versions that list the dataset directly.
    public func versions(usingDataset digest: DatasetDigest) throws -> [ParentRef] {
        try environment.read { txn in
            var out: [ParentRef] = []
            let prefix = digest.key
            try txn.scan(db.datasets, from: prefix) { key, _ in
                guard key.starts(with: prefix), let (ref, _) = RegistryKeys.parseVersion(Array(key)[prefix.count...]) else { return false }
                out.append(ref)
                return true
            }
            return out
        }
    }

    /// Versions that name `parent` as a parent.
    public func children(of parent: ParentRef) throws -> [ParentRef] {
        try environment.read { txn in
            var out: [ParentRef] = []
            let prefix = RegistryKeys.version(parent.model, parent.version)
            try txn.scan(db.children, from: prefix) { key, _ in
                guard key.starts(with: prefix), let (ref, _) = RegistryKeys.parseVersion(Array(key)[prefix.count...]) else { return false }
                out.append(ref)
                return true
            }
            return out
        }
    }
}
