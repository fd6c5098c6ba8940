import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import Hummingbird

/// Models: create, list (by prefix and tags, paged).
extension APIService {
    static let maxRegistryMetadataBytes = 256 << 10

    func createModel(_ c: ServiceRequest) async throws -> Response {
        let body: CreateModelRequest = try await decodeBody(c)
        guard RegistryNames.isValidModel(body.name) else {
            throw ServiceError("InvalidModelName", .badRequest, "Invalid model name \(body.name.debugDescription): lowercase letters, digits, '-', '_', '.' and '/' between segments; no segment may be versions, aliases, files or lineage.")
        }
        let record = ModelRecord(name: body.name, description: body.description ?? "", tags: body.tags ?? [:], createdBy: c.auth.accessKeyID)
        try checkMetadataSize(record.description, record.tags)
        return encoded(ModelInfo(try await store.createModel(record)), status: .created)
    }

    func listModels(_ c: ServiceRequest) throws -> Response {
        var tags: [String: String] = [:]
        for (name, value) in c.query.items where name == "tag" {
            guard let colon = value.firstIndex(of: ":") else { throw ServiceError.invalidArgument("tag filters are key:value") }
            tags[String(value[..<colon])] = String(value[value.index(after: colon)...])
        }
        let limit = try pageLimit(c)
        let (models, more) = try store.models(prefix: c.query["prefix"] ?? "", tags: tags, after: c.query["after"], limit: limit)
        return encoded(ModelPage(models: models.map(ModelInfo.init), next: more ? models.last?.name : nil))
    }

    /// Descriptions, tags, params, metrics, metadata and lineage are bounded together.
    func checkMetadataSize(_ values: any Encodable...) throws {
        var total = 0
        for v in values { total += (try? JSONEncoder().encode(v).count) ?? 0 }
        guard total <= Self.maxRegistryMetadataBytes else {
            throw ServiceError("MetadataTooLarge", .contentTooLarge, "Descriptions, tags, params, metrics, metadata and lineage may total at most \(Self.maxRegistryMetadataBytes) bytes of JSON.")
        }
    }

    /// `?limit=` of a listing: 1…1000, 100 when absent.
    func pageLimit(_ c: ServiceRequest) throws -> Int {
        guard let text = c.query["limit"] else { return 100 }
        guard let n = Int(text), (1...1000).contains(n) else { throw ServiceError.invalidArgument("limit must be between 1 and 1000") }
        return n
    }
}
