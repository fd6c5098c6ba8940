import CairnCore
import CairnProtocol
import Foundation
import NIOHTTP1

/// Which version of a model: a number, an alias, or the latest.
public enum VersionReference: Sendable, Equatable, CustomStringConvertible {
    case latest
    case number(Int)
    case alias(String)

    public var description: String {
        switch self {
        case .latest: return "latest"
        case .number(let n): return String(n)
        case .alias(let a): return a
        }
    }
}

/// `NAME`, `NAME@VERSION` or `NAME@ALIAS`.
public struct ModelReference: Sendable, Equatable {
    public var model: String
    public var version: VersionReference

    public init(model: String, version: VersionReference) {
        self.model = model
        self.version = version
    }

    public init(parsing text: String) throws {
        guard let at = text.lastIndex(of: "@") else {
            guard !text.isEmpty else { throw ClientError.local("expected NAME, NAME@VERSION or NAME@ALIAS") }
            self.init(model: text, version: .latest)
            return
        }
        let name = String(text[..<at]), ref = String(text[text.index(after: at)...])
        guard !name.isEmpty, !ref.isEmpty else { throw ClientError.local("expected NAME, NAME@VERSION or NAME@ALIAS, got \(text)") }
        if let n = Int(ref) {
            guard n >= 1 else { throw ClientError.local("version numbers start at 1, got \(text)") }
            self.init(model: name, version: .number(n))
        } else {
            self.init(model: name, version: ref == "latest" ? .latest : .alias(ref))
        }
    }
}

/// The model registry's JSON API (native-api.md), answers as `CairnProtocol` wire types.
public struct Registry: Sendable {
    public let connection: Connection

    public init(_ connection: Connection) { self.connection = connection }

    /// `/api/v1/models/NAME/versions/N` or `/api/v1/models/NAME/aliases/A`: the base of a version's
    /// `lineage`, `files` and `manifests` (for an alias, `…/aliases/A` itself is the alias record).
    static func path(_ model: String, _ reference: VersionReference) -> String {
        switch reference {
        case .latest: return modelPath(model) + "/versions/latest"
        case .number(let n): return modelPath(model) + "/versions/\(n)"
        case .alias(let a): return aliasPath(model, a)
        }
    }

    static func modelPath(_ model: String) -> String { "/api/v1/models/" + encodePath(model, keepSlash: true) }
    static func aliasPath(_ model: String, _ alias: String) -> String { modelPath(model) + "/aliases/" + encodePath(alias) }

    public func createModel(_ request: CreateModelRequest) async throws -> ModelInfo {
        try await connection.json(ModelInfo.self, .POST, "/api/v1/models", body: request)
    }

    public func model(_ name: String) async throws -> ModelInfo {
        try await connection.json(ModelInfo.self, .GET, Self.modelPath(name))
    }

    /// Every model with the prefix and all the tags (`key:value`), in name order.
    public func models(prefix: String, tags: [String: String]) async throws -> [ModelInfo] {
        var query = "prefix=" + URIEncoding.encode(prefix, encodeSlash: true)
        for (k, v) in tags.sorted(by: { $0.key < $1.key }) { query += "&tag=" + URIEncoding.encode(k + ":" + v, encodeSlash: true) }
        var out: [ModelInfo] = []
        var after: String?
        repeat {
            let page = try await connection.json(ModelPage.self, .GET, "/api/v1/models", query: query + "&" + Self.pageQuery(after))
            out += page.models
            after = page.next
        } while after != nil
        return out
    }

    /// Every version of a model, in number order.
    public func versions(_ model: String) async throws -> [VersionInfo] {
        var out: [VersionInfo] = []
        var after: String?
        repeat {
            let page = try await connection.json(VersionPage.self, .GET, Self.modelPath(model) + "/versions", query: Self.pageQuery(after))
            out += page.versions
            after = page.next.map(String.init)
        } while after != nil
        return out
    }

    private static func pageQuery(_ after: String?) -> String {
        "limit=1000" + (after.map { "&after=" + URIEncoding.encode($0, encodeSlash: true) } ?? "")
    }

    public func version(_ model: String, _ reference: VersionReference) async throws -> VersionInfo {
        if case .alias = reference { return try await connection.json(VersionInfo.self, .GET, Self.path(model, reference) + "/version") }
        return try await connection.json(VersionInfo.self, .GET, Self.path(model, reference))
    }

    /// Creates the next version (and the model with it when `createModel` says so).
    public func createVersion(_ model: String, _ request: CreateVersionRequest) async throws -> VersionInfo {
        try await connection.json(VersionInfo.self, .POST, Self.modelPath(model) + "/versions", body: request)
    }

    public func aliases(_ model: String) async throws -> [AliasInfo] {
        try await connection.json(AliasList.self, .GET, Self.modelPath(model) + "/aliases").aliases
    }

    public func setAlias(_ model: String, _ alias: String, _ request: SetAliasRequest) async throws -> AliasInfo {
        try await connection.json(AliasInfo.self, .PUT, Self.aliasPath(model, alias), body: request)
    }

    public func deleteAlias(_ model: String, _ alias: String, reason: String?, force: Bool) async throws {
        var query: [String] = []
        if let reason { query.append("reason=" + URIEncoding.encode(reason, encodeSlash: true)) }
        if force { query.append("force=true") }
        try await connection.call(.DELETE, Self.aliasPath(model, alias), query: query.joined(separator: "&"))
    }

    /// Every move of an alias; with `at`, also the version it named then.
    public func aliasHistory(_ model: String, _ alias: String, at: String?) async throws -> AliasHistory {
        try await connection.json(AliasHistory.self, .GET, Self.aliasPath(model, alias) + "/history",
                                  query: at.map { "at=" + URIEncoding.encode($0, encodeSlash: true) } ?? "")
    }

    public func lineage(_ model: String, _ reference: VersionReference) async throws -> Upstream {
        try await connection.json(Upstream.self, .GET, Self.path(model, reference) + "/lineage")
    }

    /// Every version trained on a dataset (`md5:HEX` or `sha256:HEX`), directly or through parents.
    public func downstream(_ dataset: String) async throws -> Downstream {
        try await connection.json(Downstream.self, .GET, "/api/v1/lineage/datasets/" + URIEncoding.encode(dataset, encodeSlash: true))
    }
}
