import Foundation
import Yams

/// The parts of a DVC lock file (`dvc.lock`) that become a version's lineage: each stage's dependencies
/// (path and md5) and parameters. Read with a YAML parser (Yams): a lock file is user input, and DVC may
/// write any YAML its library emits (quoted strings with escapes, folded and continued scalars, flow style).
public struct DvcLock: Sendable, Equatable {
    public struct Dependency: Sendable, Equatable {
        public var path: String
        /// The md5 DVC recorded; for a directory, the md5 of its `.dir` listing (without the `.dir` suffix),
        /// which is the object DVC pushes for it.
        public var md5: String
        public var isDirectory: Bool
    }

    public struct Stage: Sendable, Equatable {
        public var name: String
        public var dependencies: [Dependency]
        /// Parameters from `params:`, flattened to `section.key` → value.
        public var parameters: [String: String]
    }

    public var stages: [Stage]

    public init(parsing text: String) throws {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw ClientError.local("dvc.lock is not valid YAML: \(error)") }
        // Schema 2 (`schema: '2.0'`) nests stages under `stages:`; the DVC 1 format has them at the top.
        guard case .mapping(let top)? = root else { throw ClientError.local("dvc.lock: expected a mapping at the top level") }
        let stageMap: [(String, Node)]
        if let stagesNode = top["stages"] {
            guard case .mapping(let m) = stagesNode else { throw ClientError.local("dvc.lock: `stages` is not a mapping") }
            stageMap = Self.entries(m)
        } else {
            stageMap = Self.entries(top).filter { $0.0 != "schema" }
        }
        stages = try stageMap.map { name, node in
            guard case .mapping(let fields) = node else { throw ClientError.local("dvc.lock: stage \(name) is not a mapping") }
            return Stage(name: name, dependencies: try Self.dependencies(fields["deps"], stage: name), parameters: Self.parameters(fields["params"]))
        }
    }

    /// Each `deps` entry with a path and an md5; others (other hash kinds) are not datasets Cairn can resolve.
    private static func dependencies(_ node: Node?, stage: String) throws -> [Dependency] {
        guard case .sequence(let items)? = node else { return [] }
        var deps: [Dependency] = []
        for item in items {
            guard case .mapping(let d) = item, let path = d["path"]?.string, let hash = d["md5"]?.string else { continue }
            let isDirectory = hash.hasSuffix(".dir")
            let md5 = isDirectory ? String(hash.dropLast(4)) : hash
            guard md5.count == 32, md5.allSatisfy(\.isHexDigit) else {
                throw ClientError.local("dvc.lock: stage \(stage), dependency \(path): md5 \(hash.debugDescription) is not 32 hex digits")
            }
            deps.append(Dependency(path: path, md5: md5.lowercased(), isDirectory: isDirectory))
        }
        return deps
    }

    /// `params: {file: {key: value, section: {key: value}}}` → `key`, `section.key` (the file name is dropped).
    private static func parameters(_ node: Node?) -> [String: String] {
        var params: [String: String] = [:]
        if case .mapping(let files)? = node {
            for (_, values) in entries(files) { flatten(values, prefix: "", into: &params) }
        }
        return params
    }

    private static func flatten(_ node: Node, prefix: String, into out: inout [String: String]) {
        switch node {
        case .mapping(let fields):
            for (k, v) in entries(fields) { flatten(v, prefix: prefix.isEmpty ? k : prefix + "." + k, into: &out) }
        case .scalar(let s):
            if !prefix.isEmpty && node.null == nil { out[prefix] = s.string }
        case .sequence(let items):
            if !prefix.isEmpty { out[prefix] = "[" + items.map { $0.string ?? "…" }.joined(separator: ", ") + "]" }
        case .alias:
            break
        }
    }

    /// A mapping's entries in document order, keys as text.
    private static func entries(_ mapping: Node.Mapping) -> [(String, Node)] {
        mapping.map { ($0.key.string ?? "", $0.value) }
    }
}
