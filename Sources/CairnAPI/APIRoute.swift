import CairnStore
import HTTPTypes

/// Every operation of the JSON API under `/api/v1/`: its method and path template, as `openapi.json` names
/// them. The router matches requests against this table, `cairn routes` prints it, and the OpenAPI test
/// compares the document with it.
public enum APIRoute: CaseIterable, Sendable {
    case openAPI
    case dedupeConfiguration, dedupeStats, createSession, deleteSession, missingChunks, uploadChunks, commitObjects, commitBlobs
    case listManifests, fetchChunks
    case getBlob, headBlob
    case createModel, listModels, getModel
    case createVersion, listVersions, getVersion, versionLineage, versionManifests, getVersionFile, headVersionFile
    case listAliases, getAlias, setAlias, deleteAlias, aliasHistory, aliasVersion, aliasLineage, aliasManifests, getAliasFile, headAliasFile
    case downstream
    case adminStatus, collectGarbage, scrub, fsck

    public var method: HTTPRequest.Method { Self.table[self]!.method }
    /// The path, with `{name}` for each parameter. `{model}` spans segments up to the first reserved word
    /// (`versions`, `aliases`, …; see `RegistryNames`), `{path}` spans the rest of the path.
    public var template: String { Self.table[self]!.template }

    private static let table: [APIRoute: (method: HTTPRequest.Method, template: String)] = [
        .openAPI: (.get, "/api/v1/openapi.json"),
        .dedupeConfiguration: (.get, "/api/v1/dedupe"),
        .dedupeStats: (.get, "/api/v1/dedupe/stats"),
        .createSession: (.post, "/api/v1/dedupe/sessions"),
        .deleteSession: (.delete, "/api/v1/dedupe/sessions/{session}"),
        .missingChunks: (.post, "/api/v1/dedupe/sessions/{session}/missing"),
        .uploadChunks: (.post, "/api/v1/dedupe/sessions/{session}/chunks"),
        .commitObjects: (.post, "/api/v1/dedupe/sessions/{session}/commit/{bucket}"),
        .commitBlobs: (.post, "/api/v1/dedupe/sessions/{session}/blobs"),
        .listManifests: (.get, "/api/v1/dedupe/manifests/{bucket}"),
        .fetchChunks: (.post, "/api/v1/dedupe/chunks"),
        .getBlob: (.get, "/api/v1/blobs/{algorithm}/{hex}"),
        .headBlob: (.head, "/api/v1/blobs/{algorithm}/{hex}"),
        .createModel: (.post, "/api/v1/models"),
        .listModels: (.get, "/api/v1/models"),
        .getModel: (.get, "/api/v1/models/{model}"),
        .createVersion: (.post, "/api/v1/models/{model}/versions"),
        .listVersions: (.get, "/api/v1/models/{model}/versions"),
        .getVersion: (.get, "/api/v1/models/{model}/versions/{version}"),
        .versionLineage: (.get, "/api/v1/models/{model}/versions/{version}/lineage"),
        .versionManifests: (.get, "/api/v1/models/{model}/versions/{version}/manifests"),
        .getVersionFile: (.get, "/api/v1/models/{model}/versions/{version}/files/{path}"),
        .headVersionFile: (.head, "/api/v1/models/{model}/versions/{version}/files/{path}"),
        .listAliases: (.get, "/api/v1/models/{model}/aliases"),
        .getAlias: (.get, "/api/v1/models/{model}/aliases/{alias}"),
        .setAlias: (.put, "/api/v1/models/{model}/aliases/{alias}"),
        .deleteAlias: (.delete, "/api/v1/models/{model}/aliases/{alias}"),
        .aliasHistory: (.get, "/api/v1/models/{model}/aliases/{alias}/history"),
        .aliasVersion: (.get, "/api/v1/models/{model}/aliases/{alias}/version"),
        .aliasLineage: (.get, "/api/v1/models/{model}/aliases/{alias}/lineage"),
        .aliasManifests: (.get, "/api/v1/models/{model}/aliases/{alias}/manifests"),
        .getAliasFile: (.get, "/api/v1/models/{model}/aliases/{alias}/files/{path}"),
        .headAliasFile: (.head, "/api/v1/models/{model}/aliases/{alias}/files/{path}"),
        .downstream: (.get, "/api/v1/lineage/datasets/{digest}"),
        .adminStatus: (.get, "/api/v1/admin/status"),
        .collectGarbage: (.post, "/api/v1/admin/gc"),
        .scrub: (.post, "/api/v1/admin/scrub"),
        .fsck: (.post, "/api/v1/admin/fsck"),
    ]

    /// A matched request: the route and its path parameters (percent-decoded).
    public struct Match: Sendable, Equatable {
        public var route: APIRoute
        public var parameters: [String: String]

        public subscript(_ name: String) -> String { parameters[name] ?? "" }
    }

    /// The route `method` and the decoded path segments after `/api/v1/` name, if any.
    public static func match(method: HTTPRequest.Method, segments: [String]) -> Match? {
        for (route, routeMethod, pattern) in compiled where routeMethod == method {
            if let parameters = bind(pattern, segments) { return Match(route: route, parameters: parameters) }
        }
        return nil
    }

    private enum Piece: Sendable { case literal(String), one(String), model, rest(String) }

    /// Each route's method and template pieces, worked out once rather than on every request.
    private static let compiled: [(APIRoute, HTTPRequest.Method, [Piece])] = allCases.map { route in
        let pieces = route.template.dropFirst("/api/v1/".count).split(separator: "/").map { part -> Piece in
            guard part.hasPrefix("{") else { return .literal(String(part)) }
            let name = String(part.dropFirst().dropLast())
            return name == "model" ? .model : name == "path" ? .rest(name) : .one(name)
        }
        return (route, route.method, pieces)
    }

    private static func bind(_ pieces: [Piece], _ segments: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        var i = 0
        for piece in pieces {
            switch piece {
            case .literal(let word):
                guard i < segments.count, segments[i] == word else { return nil }
                i += 1
            case .one(let name):
                guard i < segments.count else { return nil }
                parameters[name] = segments[i]
                i += 1
            case .model:
                let end = segments[i...].firstIndex { RegistryNames.reservedSegments.contains($0) } ?? segments.count
                guard end > i else { return nil }
                parameters["model"] = segments[i..<end].joined(separator: "/")
                i = end
            case .rest(let name):
                guard i < segments.count else { return nil }
                parameters[name] = segments[i...].joined(separator: "/")
                i = segments.count
            }
        }
        return i == segments.count ? parameters : nil
    }

    /// The model name a `/api/v1/models/…` path names (segments after `models`, up to the first reserved word).
    static func modelName(_ segmentsAfterModels: ArraySlice<String>) -> String {
        let end = segmentsAfterModels.firstIndex { RegistryNames.reservedSegments.contains($0) } ?? segmentsAfterModels.endIndex
        return segmentsAfterModels[..<end].joined(separator: "/")
    }
}
