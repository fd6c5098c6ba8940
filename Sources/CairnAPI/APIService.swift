import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Cairn's JSON API under `/api/v1/` (native-api.md, openapi.json): dedupe transfer, blobs by digest, the
/// model registry and lineage, and maintenance. Authentication is S3's; errors are JSON.
public struct APIService: HTTPAPI {
    let store: Store
    let authenticator: Authenticator
    let virtualHosts: VirtualHosts
    let maintenance: MaintenanceSettings
    let logger: Logger
    let dedupeStats = DedupeStats()
    /// JSON of versions already served (immutable).
    let encodedVersions = BoundedCache<String, Data>(limit: 20_000)

    public init(store: Store, authenticator: Authenticator, virtualHosts: VirtualHosts = VirtualHosts([]),
                maintenance: MaintenanceSettings = MaintenanceSettings(), logger: Logger) {
        self.store = store
        self.authenticator = authenticator
        self.virtualHosts = virtualHosts
        self.maintenance = maintenance
        self.logger = logger
    }

    /// Largest JSON body, and largest body without `x-amz-content-sha256`.
    static let maxJSONBody = 4 << 20

    /// Paths under `/api/v1/`, except on a bucket's virtual host (there they are keys).
    public func handles(_ request: Request) -> Bool {
        request.uri.path.hasPrefix("/api/v1/") && virtualHosts.bucket(in: request) == nil
    }

    public func respond(to incoming: Request, requestID: String) async throws -> Response {
        if incoming.method == .get && incoming.uri.path == APIRoute.openAPI.template {
            return openAPIResponse()  // public, signed or not: it describes the API, no data
        }
        let (request, bodySHA256) = try await hashingUnsignedBody(incoming)
        let c = try authenticator.context(for: request, requestID: requestID, bodySHA256: bodySHA256,
                                          readOnlyPost: request.uri.path == APIRoute.fetchChunks.template)
        var segments: [String] = []
        for part in request.uri.path.dropFirst("/api/v1/".count).split(separator: "/", omittingEmptySubsequences: false) {
            guard let s = URIEncoding.decode(part) else { throw ServiceError.invalidURI }
            segments.append(s)
        }
        let match = APIRoute.match(method: request.method, segments: segments)
        // Registry paths name a model first: a bad or unknown one is the answer, before the operation.
        var model: ModelRecord?
        if segments.first == "models" && segments.count > 1 {
            let name = APIRoute.modelName(segments[1...])
            guard RegistryNames.isValidModel(name) else { throw APIError.invalidModelName(name) }
            model = try store.model(name)
            // A version may create its model in the same step (`"create_model": true`).
            if model == nil && match?.route != .createVersion { throw APIError.noSuchModel(name) }
        }
        guard let match else {
            throw segments == ["models"] ? ServiceError.methodNotAllowed : APIError.noSuchEndpoint(request)
        }
        return try await dispatch(c, match, model: model)
    }

    /// `curl --aws-sigv4` signs the body's sha256 without sending it: hash the (small) body first.
    private func hashingUnsignedBody(_ incoming: Request) async throws -> (Request, String?) {
        guard incoming.headers[.authorization] != nil, incoming.headers[HTTPField.Name("x-amz-content-sha256")!] == nil else {
            return (incoming, nil)
        }
        var request = incoming
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.maxJSONBody) } catch {
            throw ServiceError.entityTooLarge("Requests without x-amz-content-sha256 may carry at most \(Self.maxJSONBody) bytes.")
        }
        request.body = RequestBody(buffer: body)
        return (request, Hasher.digest(.sha256, body.readableBytesView).hex)
    }

    private func dispatch(_ c: ServiceRequest, _ m: APIRoute.Match, model: ModelRecord?) async throws -> Response {
        switch m.route {
        case .openAPI: return openAPIResponse()
        case .dedupeConfiguration: return dedupeConfiguration()
        case .dedupeStats: return try dedupeStatistics()
        case .createSession: return try await createSession(c)
        case .deleteSession: return try await deleteSession(m["session"])
        case .missingChunks: return try await missingChunks(c, try sessionID(m["session"]))
        case .uploadChunks: return try await uploadChunks(c, try sessionID(m["session"]))
        case .commitObjects: return try await commit(c, try sessionID(m["session"]), m["bucket"])
        case .commitBlobs: return try await commit(c, try sessionID(m["session"]), nil)
        case .listManifests: return try listManifests(c, m["bucket"])
        case .fetchChunks: return try await fetchChunks(c)
        case .getBlob, .headBlob: return try getBlob(c, algorithm: m["algorithm"], hex: m["hex"], head: m.route == .headBlob)
        case .createModel: return try await createModel(c)
        case .listModels: return try listModels(c)
        case .createVersion:
            let name = m["model"]
            return try await createVersion(c, model ?? ModelRecord(name: name, createdBy: c.auth.accessKeyID), exists: model != nil)
        case .downstream: return try downstream(m["digest"])
        case .adminStatus: return encoded(status())
        case .collectGarbage: return try await collectGarbage(c)
        case .scrub: return try await scrub(c)
        case .fsck: return try await fsck(c)
        default: return try await dispatchRegistry(c, m, model!)
        }
    }

    /// Operations on an existing model.
    private func dispatchRegistry(_ c: ServiceRequest, _ m: APIRoute.Match, _ model: ModelRecord) async throws -> Response {
        switch m.route {
        case .getModel: return encoded(ModelInfo(model))
        case .listVersions: return try listVersions(c, model)
        case .getVersion: return versionResponse(try version(model, m["version"]))
        case .versionLineage: return try upstream(try version(model, m["version"]))
        case .versionManifests: return try manifests(try version(model, m["version"]))
        case .getVersionFile, .headVersionFile: return try fileResponse(c, try version(model, m["version"]), path: m["path"])
        case .listAliases: return encoded(AliasList(aliases: try store.aliases(model: model.name).map(AliasInfo.init)))
        case .getAlias: return encoded(AliasInfo(try alias(model, m["alias"])))
        case .setAlias: return try await setAlias(c, model, m["alias"])
        case .deleteAlias: return try await deleteAlias(c, model, m["alias"])
        case .aliasHistory: return try aliasHistory(c, model, m["alias"])
        case .aliasVersion: return versionResponse(try aliasedVersion(model, m["alias"]))
        case .aliasLineage: return try upstream(try aliasedVersion(model, m["alias"]))
        case .aliasManifests: return try manifests(try aliasedVersion(model, m["alias"]))
        case .getAliasFile, .headAliasFile: return try fileResponse(c, try aliasedVersion(model, m["alias"]), path: m["path"])
        default: throw APIError.noSuchEndpoint(c.request)
        }
    }

    public func errorResponse(_ error: ServiceError, cause: any Error, request: Request, requestID: String) -> Response {
        if request.method == .head { return Response(status: error.status, headers: [.contentLength: "0"], body: .init()) }
        var missing: [String]?
        if case .missingChunks(let digests) = cause as? StoreError { missing = Array(digests.prefix(1000)) }
        return encoded(ErrorBody(.init(code: error.code, message: error.message, missing: missing)), status: error.status)
    }
}
