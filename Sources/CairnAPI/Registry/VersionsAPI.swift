import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Versions: register (immutable, numbered), list, read; their files as manifests or bytes.
extension APIService {
    func createVersion(_ c: ServiceRequest, _ model: ModelRecord, exists: Bool) async throws -> Response {
        let body: CreateVersionRequest = try await decodeBody(c)
        if !exists && body.createModel != true { throw APIError.noSuchModel(model.name) }
        guard !body.files.isEmpty else { throw ServiceError.invalidArgument("a version holds at least one file") }
        let files = try body.files.map(resolveFile)
        let lineage = body.lineage ?? LineageInfo()
        for d in lineage.datasets {
            guard d.md5 != nil || d.sha256 != nil else { throw ServiceError.invalidArgument("a dataset needs an md5 or a sha256") }
            if let m = d.md5, m.count != 32 || decodeHex(m) == nil { throw ServiceError.invalidArgument("dataset md5 \(m.debugDescription) is not 32 hex digits") }
            if let h = d.sha256, h.count != 64 || decodeHex(h) == nil { throw ServiceError.invalidArgument("dataset sha256 \(h.debugDescription) is not 64 hex digits") }
        }
        try checkMetadataSize(body.params ?? [:], body.metrics ?? [:], body.metadata ?? [:], lineage)
        let draft = VersionDraft(files: files, params: body.params ?? [:], metrics: body.metrics ?? [:], metadata: body.metadata ?? [:],
                                 lineage: Lineage(lineage))
        let record = try await store.createVersion(model: model.name, draft, by: c.auth.accessKeyID, number: body.version,
                                                   creating: body.createModel == true ? model : nil)
        return encoded(VersionInfo(record), status: .created)
    }

    /// A file by sha256, or by the object whose content it is. The store fills in md5 and size.
    private func resolveFile(_ f: CreateVersionRequest.File) throws -> VersionFile {
        if let sha = f.sha256 {
            guard sha.count == 64, decodeHex(sha) != nil else { throw ServiceError.invalidArgument("file \(f.path): sha256 must be 64 hex digits") }
            return VersionFile(path: f.path, sha256: sha.lowercased(), md5: "", size: 0)
        }
        guard let bucket = f.bucket, let key = f.key else {
            throw ServiceError.invalidArgument("file \(f.path): give either sha256, or bucket and key")
        }
        guard let object = try store.object(bucket: bucket, key: key) else {
            throw ServiceError("NoSuchKey", .notFound, "file \(f.path): s3://\(bucket)/\(key) does not exist")
        }
        return VersionFile(path: f.path, sha256: object.blob.hex, md5: "", size: 0)
    }

    func listVersions(_ c: ServiceRequest, _ model: ModelRecord) throws -> Response {
        guard let after = Int(c.query["after"] ?? "0"), after >= 0 else { throw ServiceError.invalidArgument("after is a version number") }
        let (versions, more) = try store.versions(model: model.name, after: after, limit: try pageLimit(c))
        return encoded(VersionPage(versions: versions.map(VersionInfo.init), next: more ? versions.last?.version : nil))
    }

    /// A version by number, or `latest` (the newest when the model record was read).
    func version(_ model: ModelRecord, _ text: String) throws -> VersionRecord {
        guard let n = text == "latest" ? model.latestVersion : Int(text), n >= 1, let v = try store.version(model: model.name, n) else {
            throw ServiceError("NoSuchVersion", .notFound, "Version \(text) of \(model.name) does not exist.")
        }
        return v
    }

    /// A version as JSON; versions never change, so each is encoded once.
    func versionResponse(_ v: VersionRecord) -> Response {
        let key = "\(v.model)@\(v.version)"
        let data = encodedVersions[key] ?? {
            let data = (try? WireJSON.encode(VersionInfo(v))) ?? Data("{}".utf8)
            encodedVersions[key] = data
            return data
        }()
        return jsonResponse(data)
    }

    /// The version's files as listing entries (native-api.md), key = path, for `cairn model pull`. Versions
    /// are immutable, so an alias resolved once names one complete version even while it moves.
    func manifests(_ version: VersionRecord) throws -> Response {
        var out: [UInt8] = []
        for file in version.files {
            let blob = try blob(of: file)
            KeyedManifest(key: file.path, manifest: Manifest(size: blob.size, sha256: blob.sha256, md5: blob.md5, digests: blob.chunks.digests,
                                                             lengths: blob.chunks.lengths)).encode(into: &out)
        }
        return binary(out, headers: [HTTPField.Name("x-cairn-version")!: String(version.version)])
    }

    func fileResponse(_ c: ServiceRequest, _ version: VersionRecord, path: String) throws -> Response {
        guard let file = version.files.first(where: { $0.path == path }) else {
            throw ServiceError("NoSuchFile", .notFound, "Version \(version.version) of \(version.model) has no file \(path).")
        }
        return try blobResponse(c, try blob(of: file), head: c.request.method == .head)
    }

    private func blob(of file: VersionFile) throws -> BlobRecord {
        guard let sha = decodeHex(file.sha256), let blob = try store.blob(sha) else { throw ServiceError(StoreError.missingChunk(file.sha256)) }
        return blob
    }
}
