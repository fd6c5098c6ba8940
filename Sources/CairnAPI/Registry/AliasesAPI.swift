import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Hummingbird

/// Aliases: move (recorded, protected moves need an admin key), remove, read, history at a time.
extension APIService {
    func alias(_ model: ModelRecord, _ name: String) throws -> AliasRecord {
        guard let a = try store.alias(model: model.name, name) else { throw APIError.noSuchAlias(model.name, name) }
        return a
    }

    /// The version an alias names now (resolved once per request).
    func aliasedVersion(_ model: ModelRecord, _ name: String) throws -> VersionRecord {
        try version(model, String(try alias(model, name).version))
    }

    func setAlias(_ c: ServiceRequest, _ model: ModelRecord, _ name: String) async throws -> Response {
        let body: SetAliasRequest = try await decodeBody(c)
        guard RegistryNames.isValidAlias(name) else { throw ServiceError("InvalidAliasName", .badRequest, "Invalid alias name \(name.debugDescription).") }
        if body.force == true || body.protected != nil { try c.requireAdmin("Forcing a protected alias or changing its protection") }
        _ = try version(model, String(body.version))  // NoSuchVersion rather than a generic not-found
        let record = try await store.setAlias(model: model.name, name, version: body.version, by: c.auth.accessKeyID, reason: body.reason,
                                              protect: body.protected, force: body.force ?? false)
        return encoded(AliasInfo(record))
    }

    func deleteAlias(_ c: ServiceRequest, _ model: ModelRecord, _ name: String) async throws -> Response {
        if c.query["force"] == "true" { try c.requireAdmin("Forcing a protected alias") }
        _ = try alias(model, name)  // NoSuchAlias rather than a generic not-found
        try await store.deleteAlias(model: model.name, name, by: c.auth.accessKeyID, reason: c.query["reason"], force: c.query["force"] == "true")
        return Response.empty(.noContent)
    }

    func aliasHistory(_ c: ServiceRequest, _ model: ModelRecord, _ name: String) throws -> Response {
        let moves = try store.aliasHistory(model: model.name, name)
        guard !moves.isEmpty else { throw ServiceError("NoSuchAlias", .notFound, "Alias \(name) of \(model.name) has no history.") }
        var history = AliasHistory(model: model.name, alias: name, moves: moves.map(AliasMoveInfo.init), versionAt: nil)
        if let at = c.query["at"] {
            guard let date = ISO8601Time.parse(at) else { throw ServiceError.invalidArgument("at must be an ISO 8601 time, e.g. 2026-03-03T12:00:00Z") }
            history.versionAt = .some(moves.last { $0.at <= date }?.to)
        }
        return encoded(history)
    }
}
