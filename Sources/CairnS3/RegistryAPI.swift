import CairnCore
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The model registry over JSON under `/api/v1/models/…` (issue 4). Model names may contain `/`; a
/// name ends at the first reserved word (`versions`, `aliases`, …), which names cannot contain.
extension S3Service {
    static let maxRegistryBody = 4 << 20
    static let maxRegistryMetadataBytes = 256 << 10

    func routeRegistry(_ c: S3Context, _ s: [String]) async throws -> Response {
        let method = c.request.method
        if s.isEmpty {
            switch method {
            case .post: return try await createModel(c)
            case .get: return try listModels(c)
            default: throw S3Error.methodNotAllowed
            }
        }
        let cut = s.firstIndex { RegistryNames.reservedSegments.contains($0) } ?? s.count
        let name = s[..<cut].joined(separator: "/")
        let rest = Array(s[cut...])
        guard RegistryNames.isValidModel(name) else { throw S3Error("InvalidModelName", .badRequest, "Invalid model name \(name.debugDescription): lowercase letters, digits, '-', '_', '.' and '/' between segments.") }
        guard let model = try store.model(name) else {
            // A version may create its model in the same step (`"create_model": true`).
            if method == .post && rest == ["versions"] { return try await createVersion(c, ModelRecord(name: name, createdBy: c.auth.accessKeyID), exists: false) }
            throw S3Error("NoSuchModel", .notFound, "Model \(name) does not exist.")
        }

        switch (method, rest.first ?? "", rest.count) {
        case (.get, "", 0): return encoded(model)
        case (.post, "versions", 1): return try await createVersion(c, model)
        case (.get, "versions", 1): return try listVersions(c, model)
        case (.get, "versions", 2): return versionResponse(try version(model, rest[1]))
        case (.get, "versions", 4...) where rest[2] == "files", (.head, "versions", 4...) where rest[2] == "files":
            return try fileResponse(c, try version(model, rest[1]), path: rest[3...].joined(separator: "/"))
        case (.get, "aliases", 1): return encoded(["aliases": try store.aliases(model: name)])
        case (.get, "aliases", 2): return encoded(try alias(model, rest[1]))
        case (.put, "aliases", 2): return try await setAlias(c, model, rest[1])
        case (.delete, "aliases", 2): return try await deleteAlias(c, model, rest[1])
        case (.get, "aliases", 3) where rest[2] == "history": return try aliasHistory(c, model, rest[1])
        case (.get, "aliases", 3) where rest[2] == "version":
            return versionResponse(try version(model, String(try alias(model, rest[1]).version)))
        case (.get, "versions", 3) where rest[2] == "lineage": return try upstream(try version(model, rest[1]))
        case (.get, "versions", 3) where rest[2] == "manifests": return try manifests(try version(model, rest[1]))
        case (.get, "aliases", 3) where rest[2] == "manifests":
            return try manifests(try version(model, String(try alias(model, rest[1]).version)))
        case (.get, "aliases", 3) where rest[2] == "lineage":
            return try upstream(try version(model, String(try alias(model, rest[1]).version)))
        case (.get, "aliases", 4...) where rest[2] == "files", (.head, "aliases", 4...) where rest[2] == "files":
            let a = try alias(model, rest[1])
            return try fileResponse(c, try version(model, String(a.version)), path: rest[3...].joined(separator: "/"))
        default:
            throw S3Error("NotFound", .notFound, "No such API endpoint: \(method.rawValue) \(c.request.uri.path)")
        }
    }

    // MARK: Models

    private struct CreateModel: Decodable {
        var name: String
        var description: String?
        var tags: [String: String]?
    }

    private func createModel(_ c: S3Context) async throws -> Response {
        let body: CreateModel = try await decodeBody(c)
        guard RegistryNames.isValidModel(body.name) else {
            throw S3Error("InvalidModelName", .badRequest, "Invalid model name \(body.name.debugDescription): lowercase letters, digits, '-', '_', '.' and '/' between segments; no segment may be versions, aliases, files or lineage.")
        }
        let record = ModelRecord(name: body.name, description: body.description ?? "", tags: body.tags ?? [:], createdBy: c.auth.accessKeyID)
        try checkMetadataSize(record.description, record.tags)
        return encoded(try await store.createModel(record), status: .created)
    }

    private func listModels(_ c: S3Context) throws -> Response {
        var tags: [String: String] = [:]
        for (name, value) in c.query.items where name == "tag" {
            guard let colon = value.firstIndex(of: ":") else { throw S3Error.invalidArgument("tag filters are key:value") }
            tags[String(value[..<colon])] = String(value[value.index(after: colon)...])
        }
        let limit = try pageLimit(c)
        let (models, more) = try store.models(prefix: c.query["prefix"] ?? "", tags: tags, after: c.query["after"], limit: limit)
        return encoded(ModelPage(models: models, next: more ? models.last?.name : nil))
    }

    private struct ModelPage: Encodable {
        var models: [ModelRecord]
        var next: String?
    }

    // MARK: Versions

    private struct CreateVersion: Decodable {
        struct File: Decodable {
            var path: String
            var sha256: String?
            var bucket: String?
            var key: String?
        }
        var version: Int?
        var files: [File]
        var params: [String: String]?
        var metrics: [String: Double]?
        var metadata: [String: String]?
        var lineage: Lineage?
        var createModel: Bool?

        enum CodingKeys: String, CodingKey { case version, files, params, metrics, metadata, lineage, createModel = "create_model" }
    }

    private func createVersion(_ c: S3Context, _ model: ModelRecord, exists: Bool = true) async throws -> Response {
        let body: CreateVersion = try await decodeBody(c)
        if !exists && body.createModel != true { throw S3Error("NoSuchModel", .notFound, "Model \(model.name) does not exist.") }
        guard !body.files.isEmpty else { throw S3Error.invalidArgument("a version holds at least one file") }
        var files: [VersionFile] = []
        for f in body.files {
            if let sha = f.sha256 {
                guard sha.count == 64, decodeHex(sha) != nil else { throw S3Error.invalidArgument("file \(f.path): sha256 must be 64 hex digits") }
                files.append(VersionFile(path: f.path, sha256: sha.lowercased(), md5: "", size: 0))
            } else if let bucket = f.bucket, let key = f.key {
                guard let object = try store.object(bucket: bucket, key: key) else {
                    throw S3Error("NoSuchKey", .notFound, "file \(f.path): s3://\(bucket)/\(key) does not exist")
                }
                files.append(VersionFile(path: f.path, sha256: object.blob.hex, md5: "", size: 0))
            } else {
                throw S3Error.invalidArgument("file \(f.path): give either sha256, or bucket and key")
            }
        }
        for d in body.lineage?.datasets ?? [] {
            guard d.md5 != nil || d.sha256 != nil else { throw S3Error.invalidArgument("a dataset needs an md5 or a sha256") }
            if let m = d.md5, m.count != 32 || decodeHex(m) == nil { throw S3Error.invalidArgument("dataset md5 \(m.debugDescription) is not 32 hex digits") }
            if let h = d.sha256, h.count != 64 || decodeHex(h) == nil { throw S3Error.invalidArgument("dataset sha256 \(h.debugDescription) is not 64 hex digits") }
        }
        try checkMetadataSize(body.params ?? [:], body.metrics ?? [:], body.metadata ?? [:], body.lineage ?? Lineage())
        let draft = VersionDraft(files: files, params: body.params ?? [:], metrics: body.metrics ?? [:], metadata: body.metadata ?? [:], lineage: body.lineage ?? Lineage())
        let record = try await store.createVersion(model: model.name, draft, by: c.auth.accessKeyID, number: body.version,
                                                   creating: body.createModel == true ? model : nil)
        return encoded(record, status: .created)
    }

    private func listVersions(_ c: S3Context, _ model: ModelRecord) throws -> Response {
        guard let after = Int(c.query["after"] ?? "0"), after >= 0 else { throw S3Error.invalidArgument("after is a version number") }
        let (versions, more) = try store.versions(model: model.name, after: after, limit: try pageLimit(c))
        return encoded(VersionPage(versions: versions, next: more ? versions.last?.version : nil))
    }

    private struct VersionPage: Encodable {
        var versions: [VersionRecord]
        var next: Int?
    }

    private func version(_ model: ModelRecord, _ text: String) throws -> VersionRecord {
        // `latest` is the newest version when the model record was read.
        guard let n = text == "latest" ? model.latestVersion : Int(text), n >= 1, let v = try store.version(model: model.name, n) else {
            throw S3Error("NoSuchVersion", .notFound, "Version \(text) of \(model.name) does not exist.")
        }
        return v
    }

    // MARK: Aliases

    private func alias(_ model: ModelRecord, _ name: String) throws -> AliasRecord {
        guard let a = try store.alias(model: model.name, name) else { throw S3Error("NoSuchAlias", .notFound, "Alias \(name) of \(model.name) does not exist.") }
        return a
    }

    private struct SetAlias: Decodable {
        var version: Int
        var reason: String?
        var protected: Bool?
        var force: Bool?
    }

    private func setAlias(_ c: S3Context, _ model: ModelRecord, _ name: String) async throws -> Response {
        let body: SetAlias = try await decodeBody(c)
        guard RegistryNames.isValidAlias(name) else { throw S3Error("InvalidAliasName", .badRequest, "Invalid alias name \(name.debugDescription).") }
        if body.force == true || body.protected != nil { try requireAdmin(c, "Forcing a protected alias or changing its protection") }
        _ = try version(model, String(body.version))  // NoSuchVersion rather than a generic not-found
        let record = try await store.setAlias(model: model.name, name, version: body.version, by: c.auth.accessKeyID, reason: body.reason,
                                              protect: body.protected, force: body.force ?? false)
        return encoded(record)
    }

    private func deleteAlias(_ c: S3Context, _ model: ModelRecord, _ name: String) async throws -> Response {
        if c.query["force"] == "true" { try requireAdmin(c, "Forcing a protected alias") }
        _ = try alias(model, name)  // NoSuchAlias rather than a generic not-found
        try await store.deleteAlias(model: model.name, name, by: c.auth.accessKeyID, reason: c.query["reason"], force: c.query["force"] == "true")
        return emptyResponse(.noContent)
    }

    private struct History: Encodable {
        var model: String
        var alias: String
        var moves: [AliasMove]
        /// Present when the request asked `?at=`: the version the alias named then (null if none).
        var versionAt: Int??

        enum CodingKeys: String, CodingKey { case model, alias, moves, versionAt = "version_at" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(alias, forKey: .alias)
            try c.encode(moves, forKey: .moves)
            if let versionAt { try c.encode(versionAt, forKey: .versionAt) }
        }
    }

    private func aliasHistory(_ c: S3Context, _ model: ModelRecord, _ name: String) throws -> Response {
        let moves = try store.aliasHistory(model: model.name, name)
        guard !moves.isEmpty else { throw S3Error("NoSuchAlias", .notFound, "Alias \(name) of \(model.name) has no history.") }
        var history = History(model: model.name, alias: name, moves: moves, versionAt: nil)
        if let at = c.query["at"] {
            guard let date = parseISO8601(at) else { throw S3Error.invalidArgument("at must be an ISO 8601 time, e.g. 2026-03-03T12:00:00Z") }
            history.versionAt = .some(moves.last { $0.at <= date }?.to)
        }
        return encoded(history)
    }

    // MARK: Lineage

    /// A version's upstream: its datasets (resolved to blobs and the objects holding them), runs, git
    /// commit, and its parents' upstream, as JSON built by hand (`JSONEncoder` was half the cost of a
    /// lineage query with hundreds of datasets).
    func upstream(_ v: VersionRecord) throws -> Response {
        var w = JSONWriter()
        try writeUpstream(v, into: &w, depth: 0)
        return Response(status: .ok, headers: [.contentType: "application/json", .contentLength: String(w.bytes.count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
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

    struct Downstream: Encodable {
        var dataset: String
        /// Versions that list the dataset, then versions derived from those (parents), each once.
        var versions: [DownstreamVersion]
    }

    struct DownstreamVersion: Encodable {
        var model: String
        var version: Int
        /// "direct", or the parent version it was derived from ("model@n").
        var via: String
    }

    func downstream(_ text: String) throws -> Response {
        guard let digest = DatasetDigest(parsing: text) else {
            throw S3Error.invalidArgument("A dataset is md5:<32 hex digits> or sha256:<64 hex digits>, not \(text.debugDescription).")
        }
        // A dataset registered by md5 is the same dataset as its blob's sha256, and the other way round.
        var digests = [digest]
        switch digest {
        case .md5(let m): if let blob = try store.blob(md5: m) { digests.append(.sha256(blob.sha256)) }
        case .sha256(let h): if let blob = try store.blob(h) { digests.append(.md5(blob.md5)) }
        }
        var out: [DownstreamVersion] = []
        var seen: Set<ParentRef> = []
        var queue: [(ParentRef, String)] = try digests.flatMap { try store.versions(usingDataset: $0) }.map { ($0, "direct") }
        while !queue.isEmpty {
            let (ref, via) = queue.removeFirst()
            guard seen.insert(ref).inserted else { continue }
            out.append(DownstreamVersion(model: ref.model, version: ref.version, via: via))
            for child in try store.children(of: ref) { queue.append((child, "\(ref.model)@\(ref.version)")) }
        }
        return encoded(Downstream(dataset: digest.description, versions: out))
    }

    // MARK: Files

    /// The version's files as listing entries (native-api.md), key = path, for `cairn model pull`. Versions
    /// are immutable, so an alias resolved once names one complete version even while it moves.
    private func manifests(_ version: VersionRecord) throws -> Response {
        var out: [UInt8] = []
        for file in version.files {
            guard let sha = decodeHex(file.sha256), let blob = try store.blob(sha) else { throw S3Error(StoreError.missingChunk(file.sha256)) }
            KeyedManifest(key: file.path, manifest: Manifest(size: blob.size, sha256: blob.sha256, md5: blob.md5, digests: blob.chunks.digests,
                                                             lengths: blob.chunks.lengths)).encode(into: &out)
        }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(out.count),
                                               HTTPField.Name("x-cairn-version")!: String(version.version)],
                        body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    private func fileResponse(_ c: S3Context, _ version: VersionRecord, path: String) throws -> Response {
        guard let file = version.files.first(where: { $0.path == path }) else {
            throw S3Error("NoSuchFile", .notFound, "Version \(version.version) of \(version.model) has no file \(path).")
        }
        guard let sha = decodeHex(file.sha256), let blob = try store.blob(sha) else { throw S3Error(StoreError.missingChunk(file.sha256)) }
        return try blobResponse(c, blob, head: c.request.method == .head)
    }

    // MARK: Helpers

    private func decodeBody<T: Decodable>(_ c: S3Context) async throws -> T {
        let body = try await Payload.collect(c, limit: Self.maxRegistryBody)
        do { return try JSONDecoder().decode(T.self, from: Data(body)) } catch let DecodingError.keyNotFound(key, _) {
            throw S3Error.invalidRequest("Malformed JSON body: the field \(key.stringValue) is missing.")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw S3Error.invalidRequest("Malformed JSON body: wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")).")
        } catch {
            throw S3Error.invalidRequest("Malformed JSON body.")
        }
    }

    func requireAdmin(_ c: S3Context, _ what: String) throws {
        guard c.role == .admin else {
            throw S3Error("AccessDenied", .forbidden, "\(what) needs an admin key; \(c.auth.accessKeyID) is a \(c.role.rawValue) key.")
        }
    }

    private func checkMetadataSize(_ values: any Encodable...) throws {
        var total = 0
        for v in values { total += (try? JSONEncoder().encode(v).count) ?? 0 }
        guard total <= Self.maxRegistryMetadataBytes else {
            throw S3Error("MetadataTooLarge", .contentTooLarge, "Descriptions, tags, params, metrics, metadata and lineage may total at most \(Self.maxRegistryMetadataBytes) bytes of JSON.")
        }
    }

    private func pageLimit(_ c: S3Context) throws -> Int {
        guard let text = c.query["limit"] else { return 100 }
        guard let n = Int(text), (1...1000).contains(n) else { throw S3Error.invalidArgument("limit must be between 1 and 1000") }
        return n
    }

    /// A version as JSON; versions never change, so each is encoded once.
    private func versionResponse(_ v: VersionRecord) -> Response {
        let key = "\(v.model)@\(v.version)"
        let data = encodedVersions[key] ?? {
            let data = jsonData(v)
            encodedVersions[key] = data
            return data
        }()
        return Response(status: .ok, headers: [.contentType: "application/json", .contentLength: String(data.count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func encoded<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = jsonData(value)
        return Response(status: status, headers: [.contentType: "application/json", .contentLength: String(data.count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func jsonData<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Milliseconds, as stored: a move's own `at` sent back as `?at=` must find that move.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(formatISO8601Milliseconds(date))
        }
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}

/// `2026-11-27T03:20:58.123Z` (UTC, milliseconds). By hand: a formatter per call costs more than the request.
func formatISO8601Milliseconds(_ date: Date) -> String {
    let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    var seconds = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
    let fraction = Int(ms - Int64(seconds) * 1000)
    var t = tm()
    gmtime_r(&seconds, &t)
    func pad(_ n: Int32, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)).\(pad(Int32(fraction), 3))Z"
}

func parseISO8601(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    if let d = f.date(from: text) { return d }
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: text)
}
