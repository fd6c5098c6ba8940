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

/// The model registry's JSON API (native-api.md), answers as JSON objects.
public struct Registry: Sendable {
    public let connection: Connection

    public init(_ connection: Connection) { self.connection = connection }

    /// `/api/v1/models/NAME/versions/N` or `/api/v1/models/NAME/aliases/A`: the base of a version's
    /// `lineage`, `files` and `manifests` (for an alias, `…/aliases/A` itself is the alias record).
    static func path(_ model: String, _ reference: VersionReference) -> String {
        let base = "/api/v1/models/" + encodePath(model, keepSlash: true)
        switch reference {
        case .latest: return base + "/versions/latest"
        case .number(let n): return base + "/versions/\(n)"
        case .alias(let a): return base + "/aliases/" + encodePath(a)
        }
    }

    public static func modelPath(_ model: String) -> String { "/api/v1/models/" + encodePath(model, keepSlash: true) }

    public func get(_ path: String, query: String = "") async throws -> [String: Any] {
        try Self.object(try await connection.send(.GET, path, query: query))
    }

    public func send(_ method: HTTPMethod, _ path: String, query: String = "", json: [String: Any]? = nil) async throws -> [String: Any] {
        let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) }
        let reply = try await connection.send(method, path, query: query, body: body)
        return reply.body.isEmpty ? [:] : try Self.object(reply)
    }

    public func version(_ model: String, _ reference: VersionReference) async throws -> [String: Any] {
        if case .alias = reference { return try await get(Self.path(model, reference) + "/version") }
        return try await get(Self.path(model, reference))
    }

    public func aliases(_ model: String) async throws -> [[String: Any]] {
        try await get(Self.modelPath(model) + "/aliases")["aliases"] as? [[String: Any]] ?? []
    }

    public func lineage(_ model: String, _ reference: VersionReference) async throws -> [String: Any] {
        try await get(Self.path(model, reference) + "/lineage")
    }

    /// Every page of a paginated listing (`models` or `versions`), in order.
    public func all(_ path: String, field: String, query: String = "") async throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var after: String?
        repeat {
            var q = query.isEmpty ? "limit=1000" : query + "&limit=1000"
            if let after { q += "&after=" + URIEncoding.encode(after, encodeSlash: true) }
            let page = try await get(path, query: q)
            out += page[field] as? [[String: Any]] ?? []
            after = (page["next"] as? String) ?? (page["next"] as? Int).map(String.init)
        } while after != nil
        return out
    }

    static func object(_ reply: Connection.Reply) throws -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any] else {
            throw ClientError.protocolError("expected a JSON object, got \(reply.body.count) bytes")
        }
        return o
    }
}
