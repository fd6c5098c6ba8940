import Foundation

/// The parts of a DVC lock file (`dvc.lock`) that become a version's lineage: each stage's dependencies
/// (path and md5) and parameters.
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
        let root = try MiniYAML.parse(text)
        // Schema 2 (`schema: '2.0'`) nests stages under `stages:`; the DVC 1 format has them at the top.
        guard case .map(let top) = root else { throw ClientError.local("dvc.lock: expected a mapping at the top level") }
        let stageMap: [(String, MiniYAML)]
        if let stagesNode = top.first(where: { $0.0 == "stages" })?.1 {
            guard case .map(let m) = stagesNode else { throw ClientError.local("dvc.lock: `stages` is not a mapping") }
            stageMap = m
        } else {
            stageMap = top.filter { $0.0 != "schema" }
        }
        stages = try stageMap.map { name, node in
            guard case .map(let fields) = node else { throw ClientError.local("dvc.lock: stage \(name) is not a mapping") }
            var deps: [Dependency] = []
            if case .list(let items) = fields.first(where: { $0.0 == "deps" })?.1 ?? .list([]) {
                for item in items {
                    guard case .map(let d) = item, case .scalar(let path) = d.first(where: { $0.0 == "path" })?.1 ?? .null,
                          case .scalar(let hash) = d.first(where: { $0.0 == "md5" })?.1 ?? .null else { continue }
                    let isDirectory = hash.hasSuffix(".dir")
                    let md5 = isDirectory ? String(hash.dropLast(4)) : hash
                    guard md5.count == 32, md5.allSatisfy(\.isHexDigit) else {
                        throw ClientError.local("dvc.lock: stage \(name), dependency \(path): md5 \(hash.debugDescription) is not 32 hex digits")
                    }
                    deps.append(Dependency(path: path, md5: md5.lowercased(), isDirectory: isDirectory))
                }
            }
            var params: [String: String] = [:]
            if case .map(let files) = fields.first(where: { $0.0 == "params" })?.1 ?? .null {
                for (_, values) in files { Self.flatten(values, prefix: "", into: &params) }
            }
            return Stage(name: name, dependencies: deps, parameters: params)
        }
    }

    private static func flatten(_ node: MiniYAML, prefix: String, into out: inout [String: String]) {
        switch node {
        case .map(let fields):
            for (k, v) in fields { flatten(v, prefix: prefix.isEmpty ? k : prefix + "." + k, into: &out) }
        case .scalar(let s): if !prefix.isEmpty { out[prefix] = s }
        case .list(let items): if !prefix.isEmpty { out[prefix] = "[" + items.map { if case .scalar(let s) = $0 { s } else { "…" } }.joined(separator: ", ") + "]" }
        case .null: break
        }
    }
}

/// The block-style YAML subset DVC writes (mappings, sequences, plain and quoted scalars, `|`/`>` block
/// scalars, empty `{}`/`[]`). Enough for lock files; not a general YAML parser.
enum MiniYAML: Equatable {
    case map([(String, MiniYAML)])
    case list([MiniYAML])
    case scalar(String)
    case null

    static func == (a: MiniYAML, b: MiniYAML) -> Bool {
        switch (a, b) {
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.list(let x), .list(let y)): return x == y
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    private struct Line {
        var indent: Int
        var text: String
    }

    static func parse(_ text: String) throws -> MiniYAML {
        var lines: [Line] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let body = line.drop { $0 == " " }
            if body.isEmpty || body.hasPrefix("#") || body == "---" { continue }
            guard !body.hasPrefix("\t") else { throw ClientError.local("YAML: tabs are not allowed for indentation") }
            lines.append(Line(indent: line.count - body.count, text: String(body)))
        }
        var parser = Parser(lines: lines)
        guard !lines.isEmpty else { return .null }
        let node = try parser.block(indent: lines[0].indent)
        guard parser.index == lines.count else { throw ClientError.local("YAML: unexpected indentation at \(lines[parser.index].text.debugDescription)") }
        return node
    }

    private struct Parser {
        var lines: [Line]
        var index = 0

        mutating func block(indent: Int) throws -> MiniYAML {
            let line = lines[index]
            if line.text == "-" || line.text.hasPrefix("- ") { return try sequence(indent: indent) }
            return try mapping(indent: indent)
        }

        mutating func sequence(indent: Int) throws -> MiniYAML {
            var items: [MiniYAML] = []
            while index < lines.count, lines[index].indent == indent, lines[index].text == "-" || lines[index].text.hasPrefix("- ") {
                let rest = lines[index].text.dropFirst(1).drop { $0 == " " }
                if rest.isEmpty {
                    index += 1
                    items.append(index < lines.count && lines[index].indent > indent ? try block(indent: lines[index].indent) : .null)
                } else if splitKey(String(rest)) != nil {
                    // `- key: value` starts a mapping whose keys line up with `key`.
                    let column = indent + lines[index].text.count - rest.count
                    lines[index] = Line(indent: column, text: String(rest))
                    items.append(try mapping(indent: column))
                } else {
                    index += 1
                    items.append(scalar(String(rest)))
                }
            }
            return .list(items)
        }

        mutating func mapping(indent: Int) throws -> MiniYAML {
            var fields: [(String, MiniYAML)] = []
            while index < lines.count, lines[index].indent == indent {
                let line = lines[index]
                if line.text == "-" || line.text.hasPrefix("- ") { break }
                guard let (key, value) = splitKey(line.text) else { throw ClientError.local("YAML: expected `key: value`, got \(line.text.debugDescription)") }
                index += 1
                if value == "|" || value == ">" || value.hasPrefix("|") || value.hasPrefix(">") {
                    var text: [String] = []
                    let base = index < lines.count ? lines[index].indent : 0  // the block's own indentation is not content
                    while index < lines.count, lines[index].indent > indent {
                        text.append(String(repeating: " ", count: max(0, lines[index].indent - base)) + lines[index].text)
                        index += 1
                    }
                    fields.append((key, .scalar(text.joined(separator: value.hasPrefix(">") ? " " : "\n"))))
                } else if !value.isEmpty {
                    fields.append((key, scalar(value)))
                    // A plain scalar continued on more-indented lines.
                    while index < lines.count, lines[index].indent > indent { index += 1 }
                } else if index < lines.count, lines[index].indent > indent {
                    fields.append((key, try block(indent: lines[index].indent)))
                } else if index < lines.count, lines[index].indent == indent, lines[index].text == "-" || lines[index].text.hasPrefix("- ") {
                    fields.append((key, try sequence(indent: indent)))  // a sequence may line up with its key
                } else {
                    fields.append((key, .null))
                }
            }
            return .map(fields)
        }

        /// `key: value` or `key:`; keys may be quoted.
        func splitKey(_ text: String) -> (String, String)? {
            var key: String
            var rest: Substring
            if let quote = text.first, quote == "'" || quote == "\"" {
                guard let end = text.dropFirst().firstIndex(of: quote) else { return nil }
                key = String(text[text.index(after: text.startIndex)..<end])
                rest = text[text.index(after: end)...]
                guard rest.hasPrefix(":") else { return nil }
                rest = rest.dropFirst()
            } else {
                guard let colon = text.range(of: ": ")?.lowerBound ?? (text.hasSuffix(":") ? text.index(before: text.endIndex) : nil) else { return nil }
                key = String(text[..<colon])
                rest = text[text.index(after: colon)...]
                if key.hasPrefix("{") || key.hasPrefix("[") { return nil }
            }
            guard rest.isEmpty || rest.hasPrefix(" ") else { return nil }
            var value = String(rest.drop { $0 == " " })
            if value.hasPrefix("#") { value = "" }
            key = key.trimmingCharacters(in: .whitespaces)
            return (key, value)
        }

        func scalar(_ text: String) -> MiniYAML {
            if text == "{}" { return .map([]) }
            if text == "[]" { return .list([]) }
            if text == "~" || text == "null" { return .null }
            if text.hasPrefix("'"), text.hasSuffix("'"), text.count >= 2 {
                return .scalar(String(text.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'"))
            }
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 {
                return .scalar(String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\"))
            }
            // A trailing comment on a plain scalar.
            if let hash = text.range(of: " #") { return .scalar(String(text[..<hash.lowerBound])) }
            return .scalar(text)
        }
    }
}
