import CairnProtocol
import CairnStore

// The registry's records as the API shows them, and the API's lineage as the store keeps it. The only place
// where the two meet: a field renamed on one side is mapped here.

extension ModelInfo {
    init(_ r: ModelRecord) {
        self.init(name: r.name, description: r.description, tags: r.tags, createdAt: r.createdAt, createdBy: r.createdBy,
                  latestVersion: r.latestVersion)
    }
}

extension VersionInfo {
    init(_ r: VersionRecord) {
        self.init(model: r.model, version: r.version,
                  files: r.files.map { VersionFileInfo(path: $0.path, sha256: $0.sha256, md5: $0.md5, size: $0.size) },
                  params: r.params, metrics: r.metrics, metadata: r.metadata, lineage: LineageInfo(r.lineage),
                  createdAt: r.createdAt, createdBy: r.createdBy)
    }
}

extension AliasInfo {
    init(_ r: AliasRecord) {
        self.init(model: r.model, alias: r.alias, version: r.version, protected: r.protected, updatedAt: r.updatedAt, updatedBy: r.updatedBy)
    }
}

extension AliasMoveInfo {
    init(_ r: AliasMove) { self.init(at: r.at, by: r.by, from: r.from, to: r.to, reason: r.reason) }
}

extension DatasetInfo {
    init(_ d: DatasetRef) { self.init(md5: d.md5, sha256: d.sha256, path: d.path, uri: d.uri, dvcStage: d.dvcStage) }
}

extension LineageInfo {
    init(_ l: Lineage) {
        self.init(datasets: l.datasets.map(DatasetInfo.init), runs: l.runs.map { RunInfo(id: $0.id, link: $0.link) },
                  git: l.git.map { GitInfo(commit: $0.commit, repository: $0.repository) },
                  parents: l.parents.map { VersionRef(model: $0.model, version: $0.version) })
    }
}

extension Lineage {
    init(_ l: LineageInfo) {
        self.init(datasets: l.datasets.map { DatasetRef(md5: $0.md5, sha256: $0.sha256, path: $0.path, uri: $0.uri, dvcStage: $0.dvcStage) },
                  runs: l.runs.map { RunRef(id: $0.id, link: $0.link) },
                  git: l.git.map { GitRef(commit: $0.commit, repository: $0.repository) },
                  parents: l.parents.map { ParentRef(model: $0.model, version: $0.version) })
    }
}
