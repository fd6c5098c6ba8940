import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Hummingbird

/// Lineage both ways: a version's upstream (datasets resolved to bytes in the store, runs, git, parents) and a
/// dataset's downstream (every version trained on it, directly or through parents).
extension APIService {
    /// A version's upstream: its datasets (resolved to blobs and the objects holding them), runs, git
    /// commit, and its parents' upstream, as JSON built by hand (`JSONEncoder` was half the cost of a
    /// lineage query with hundreds of datasets).
    func upstream(_ v: VersionRecord) throws -> Response {
        var w = JSONWriter()
        try writeUpstream(v, into: &w, depth: 0)
        return jsonResponse(w.bytes)
    }

    private func writeUpstream(_ v: VersionRecord, into w: inout JSONWriter, depth: Int) throws {
        w.open("{")
        w.key("datasets")
        w.open("[")
        for d in v.lineage.datasets {
            var blob: Store.BlobSummary?
            if let h = d.sha256, let digest = decodeHex(h), digest.count == 32 { blob = try store.blobSummary(digest) }
            if blob == nil, let m = d.md5, let digest = decodeHex(m), digest.count == 16 { blob = try store.blobSummary(digest) }
            w.open("{")
            if let blob {
                w.key("blob")
                w.open("{"); w.field("md5", blob.md5.hex); w.field("sha256", blob.sha256.hex); w.field("size", blob.size); w.close("}")
            }
            w.key("dataset")
            w.open("{")
            w.field("dvc_stage", d.dvcStage); w.field("md5", d.md5); w.field("path", d.path); w.field("sha256", d.sha256); w.field("uri", d.uri)
            w.close("}")
            w.key("locations")
            w.open("[")
            for place in try blob.map({ try store.objects(withBlob: $0.sha256) }) ?? [] {
                w.open("{"); w.field("bucket", place.bucket); w.field("key", place.key); w.close("}")
            }
            w.close("]")
            w.field("present", blob != nil)
            w.close("}")
        }
        w.close("]")
        if let git = v.lineage.git {
            w.key("git")
            w.open("{"); w.field("commit", git.commit); w.field("repository", git.repository); w.close("}")
        }
        w.field("model", v.model)
        w.key("parents")
        w.open("[")
        // Versions are immutable and parents exist before their children, so the graph has no cycles;
        // the depth bound only guards against a corrupt index.
        if depth < 256 {
            for p in v.lineage.parents {
                guard let parent = try store.version(model: p.model, p.version) else { continue }
                try writeUpstream(parent, into: &w, depth: depth + 1)
            }
        }
        w.close("]")
        w.key("runs")
        w.open("[")
        for r in v.lineage.runs { w.open("{"); w.field("id", r.id); w.field("link", r.link); w.close("}") }
        w.close("]")
        w.field("version", v.version)
        w.close("}")
    }

    func downstream(_ text: String) throws -> Response {
        guard let digest = DatasetDigest(parsing: text) else {
            throw ServiceError.invalidArgument("A dataset is md5:<32 hex digits> or sha256:<64 hex digits>, not \(text.debugDescription).")
        }
        // A dataset registered by md5 is the same dataset as its blob's sha256, and the other way round.
        var digests = [digest]
        switch digest {
        case .md5(let m): if let blob = try store.blob(md5: m) { digests.append(.sha256(blob.sha256)) }
        case .sha256(let h): if let blob = try store.blob(h) { digests.append(.md5(blob.md5)) }
        }
        var out: [Downstream.Version] = []
        var seen: Set<ParentRef> = []
        var queue: [(ParentRef, String)] = try digests.flatMap { try store.versions(usingDataset: $0) }.map { ($0, "direct") }
        while !queue.isEmpty {
            let (ref, via) = queue.removeFirst()
            guard seen.insert(ref).inserted else { continue }
            out.append(Downstream.Version(model: ref.model, version: ref.version, via: via))
            for child in try store.children(of: ref) { queue.append((child, "\(ref.model)@\(ref.version)")) }
        }
        return encoded(Downstream(dataset: digest.description, versions: out))
    }
}
