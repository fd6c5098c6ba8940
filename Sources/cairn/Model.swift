import ArgumentParser
import CairnClient
import CairnCore
import CairnProtocol
import Foundation
import NIOHTTP1

/// `cairn model …`: the model registry from the command line.
struct Model: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, register, list, show and pull models and versions; move aliases.",
        subcommands: [Create.self, Register.self, List.self, Show.self, Versions.self, Alias.self, PullModel.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a model (names: lowercase letters, digits, '-', '_', '.', '/' for namespaces).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Description.") var description: String = ""
        @Option(name: .customLong("tag"), help: "A KEY=VALUE tag (repeatable).") var tags: [String] = []
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            try await runRegistry(connection) { registry in
                let tagMap = try keyValues(tags, flag: "--tag")
                let model = try await registry.send(.POST, "/api/v1/models", json: ["name": name, "description": description, "tags": tagMap])
                output.print(model) { print("created model \(name)") }
            }
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a file or directory (only chunks the server lacks) and register it as the model's next version.",
            discussion: """
                A directory's files keep their relative paths; a single file keeps its name. The model is created if it \
                does not exist. With --dvc-lock, the dependencies (path and md5) of the lock file's stages become the \
                version's dataset lineage and their params its params.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(name: .customLong("dvc-lock"), help: "A dvc.lock whose dependencies become dataset lineage.") var dvcLock: String?
        @Option(help: "Only this stage of --dvc-lock (repeatable; default: every stage).") var stage: [String] = []
        @Option(name: .customLong("dataset"), help: "A dataset: md5:HEX or sha256:HEX, optionally =PATH_OR_URI (repeatable).") var datasets: [String] = []
        @Option(name: .customLong("run"), help: "A run ID, optionally =LINK (repeatable).") var runs: [String] = []
        @Option(name: .customLong("git-commit"), help: "The git commit the model was trained from.") var gitCommit: String?
        @Option(name: .customLong("git-repo"), help: "The git repository of --git-commit.") var gitRepo: String?
        @Option(name: .customLong("parent"), help: "A version this one was derived from, NAME@VERSION (repeatable).") var parents: [String] = []
        @Option(name: .customLong("param"), help: "A KEY=VALUE parameter (repeatable).") var params: [String] = []
        @Option(name: .customLong("metric"), help: "A KEY=NUMBER metric (repeatable).") var metrics: [String] = []
        @Option(name: .customLong("meta"), help: "A KEY=VALUE metadata entry (repeatable).") var metadata: [String] = []
        @Option(help: "Also point this alias at the new version.") var alias: String?
        @Option(help: "Requests in flight at once.") var jobs: Int = 4
        @Argument(help: "Model name.") var name: String
        @Argument(help: "File or directory holding the model.") var path: String

        func run() async throws {
            try await runRegistry(connection, jobs: jobs) { registry in
                // Every local input is checked before anything is sent.
                let lineage = try buildLineage()
                var paramMap = lineage.lockParams
                paramMap.merge(try keyValues(params, flag: "--param")) { _, explicit in explicit }
                var metricMap: [String: Double] = [:]
                for (k, v) in try keyValues(metrics, flag: "--metric") {
                    guard let d = Double(v) else { throw ClientError.local("--metric \(k)=\(v): the value is not a number") }
                    metricMap[k] = d
                }
                let metadataMap = try keyValues(metadata, flag: "--meta")
                let progress = Progress(verb: "register", style: Progress.defaultStyle(quiet: output.quiet || output.json))
                var version: [String: Any] = [:]
                var fileCount = 0
                let summary = try await Pusher(remote: Remote(registry.connection), jobs: jobs, progress: progress).pushBlobs(path) { files in
                    // The model is created with its first version, in one step: a rejected version leaves nothing behind.
                    let body: [String: Any] = [
                        "files": files.map { ["path": $0.path, "sha256": $0.sha256.hex] }, "create_model": true,
                        "params": paramMap, "metrics": metricMap, "metadata": metadataMap, "lineage": lineage.json,
                    ]
                    version = try await registry.send(.POST, Registry.modelPath(name) + "/versions", json: body)
                    fileCount = files.count
                }
                let number = version["version"] as? Int ?? 0
                version["transfer"] = try JSONSerialization.jsonObject(with: Data(summary.json().utf8))
                if let alias {
                    do {
                        version["alias"] = try await registry.send(.PUT, Registry.modelPath(name) + "/aliases/" + percent(alias), json: ["version": number])
                    } catch let error as ClientError {
                        throw ClientError.local("registered \(name) version \(number), but did not move alias \(alias): \(error)")
                    }
                }
                output.print(version) {
                    print("registered \(name) version \(number): \(fileCount) file(s), \(formatBytes(summary.logicalBytes)), sent \(formatBytes(summary.payloadBytes))"
                          + (alias.map { ", alias \($0)" } ?? ""))
                }
            }
        }

        private func buildLineage() throws -> (json: [String: Any], lockParams: [String: String]) {
            var datasetList: [[String: Any]] = []
            var lockParams: [String: String] = [:]
            if let dvcLock {
                let text: String
                do { text = try String(contentsOfFile: dvcLock, encoding: .utf8) } catch { throw ClientError.local("cannot read \(dvcLock): \(error.localizedDescription)") }
                let lock = try DvcLock(parsing: text)
                let chosen = stage.isEmpty ? lock.stages : try stage.map { s in
                    guard let found = lock.stages.first(where: { $0.name == s }) else {
                        throw ClientError.local("\(dvcLock) has no stage \(s) (it has: \(lock.stages.map(\.name).joined(separator: ", ")))")
                    }
                    return found
                }
                var seen: Set<String> = []
                for s in chosen {
                    for d in s.dependencies where seen.insert(d.md5 + " " + d.path).inserted {
                        datasetList.append(["md5": d.md5, "path": d.path, "dvc_stage": s.name])
                    }
                    lockParams.merge(s.parameters) { a, _ in a }
                }
            }
            for d in datasets {
                let (digest, location) = splitOnce(d, "=")
                let parts = digest.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, (parts[0] == "md5" && parts[1].count == 32) || (parts[0] == "sha256" && parts[1].count == 64),
                      parts[1].allSatisfy(\.isHexDigit) else { throw ClientError.local("--dataset \(d): expected md5:<32 hex> or sha256:<64 hex>") }
                var entry: [String: Any] = [parts[0]: parts[1].lowercased()]
                if let location { entry[location.contains("://") ? "uri" : "path"] = location }
                datasetList.append(entry)
            }
            var lineage: [String: Any] = ["datasets": datasetList]
            lineage["runs"] = runs.map { r -> [String: Any] in
                let (id, link) = splitOnce(r, "=")
                return link.map { ["id": id, "link": $0] } ?? ["id": id]
            }
            if let gitCommit { lineage["git"] = gitRepo.map { ["commit": gitCommit, "repository": $0] } ?? ["commit": gitCommit] }
            lineage["parents"] = try parents.map { p -> [String: Any] in
                let ref = try ModelReference(parsing: p)
                guard case .number(let n) = ref.version else { throw ClientError.local("--parent \(p): expected NAME@VERSION") }
                return ["model": ref.model, "version": n]
            }
            return (lineage, lockParams)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List models, by name prefix and tags.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only names starting with this.") var prefix: String = ""
        @Option(name: .customLong("tag"), help: "Only models with this KEY=VALUE tag (repeatable).") var tags: [String] = []

        func run() async throws {
            try await runRegistry(connection) { registry in
                var query = "prefix=" + percent(prefix)
                for (k, v) in try keyValues(tags, flag: "--tag").sorted(by: { $0.key < $1.key }) { query += "&tag=" + percent(k + ":" + v) }
                let models = try await registry.all("/api/v1/models", field: "models", query: query)
                output.print(["models": models]) {
                    table(["NAME", "LATEST", "TAGS", "DESCRIPTION"], models.map { m in
                        [m["name"] as? String ?? "", String(m["latest_version"] as? Int ?? 0), describeTags(m["tags"]), m["description"] as? String ?? ""]
                    })
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model and its aliases, or one version (NAME@VERSION, NAME@ALIAS).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "NAME, NAME@VERSION or NAME@ALIAS.") var reference: String

        func run() async throws {
            let ref = try parseReference(reference)
            try await runRegistry(connection) { registry in
                if ref.version == .latest && !reference.hasSuffix("@latest") {
                    var model = try await registry.get(Registry.modelPath(ref.model))
                    let aliases = try await registry.aliases(ref.model)
                    model["aliases"] = aliases
                    output.print(model) {
                        print("model \(ref.model)")
                        if let d = model["description"] as? String, !d.isEmpty { print("  description: \(d)") }
                        print("  tags: \(describeTags(model["tags"]))")
                        print("  created: \(model["created_at"] as? String ?? "-") by \(model["created_by"] as? String ?? "-")")
                        print("  latest version: \(model["latest_version"] as? Int ?? 0)")
                        for a in aliases {
                            print("  alias \(a["alias"] as? String ?? "?") -> version \(a["version"] as? Int ?? 0)\((a["protected"] as? Bool ?? false) ? " (protected)" : "")")
                        }
                    }
                    return
                }
                let version = try await registry.version(ref.model, ref.version)
                output.print(version) { describeVersion(version) }
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a model's versions.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            try await runRegistry(connection) { registry in
                let versions = try await registry.all(Registry.modelPath(name) + "/versions", field: "versions")
                let aliases = try await registry.aliases(name)
                output.print(["versions": versions]) {
                    table(["VERSION", "CREATED", "BY", "FILES", "SIZE", "ALIASES"], versions.map { v in
                        let n = v["version"] as? Int ?? 0
                        let files = v["files"] as? [[String: Any]] ?? []
                        let size = files.reduce(0) { $0 + ($1["size"] as? Int ?? 0) }
                        let names = aliases.filter { $0["version"] as? Int == n }.compactMap { $0["alias"] as? String }
                        return [String(n), v["created_at"] as? String ?? "", v["created_by"] as? String ?? "", String(files.count), formatBytes(size), names.joined(separator: ",")]
                    })
                }
            }
        }
    }

    struct PullModel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pull",
            abstract: "Download a version's files into DIR, fetching only chunks missing from the local cache.",
            discussion: """
                NAME@ALIAS is resolved once on the server, so DIR receives one complete version even while the alias \
                moves. Files appear only complete and verified; files in DIR that the version lacks are left alone. \
                Rerun to resume.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var transfer: TransferOptions
        @Option(help: "Local chunk cache directory (else CAIRN_CACHE_DIR, else ~/.cache/cairn).") var cache: String?
        @Flag(name: .customLong("no-cache"), help: "Do not read or fill the local chunk cache.") var noCache = false
        @Argument(help: "NAME@ALIAS, NAME@VERSION or NAME (the latest version).") var reference: String
        @Argument(help: "Local directory.") var directory: String

        func run() async throws {
            let ref = try parseReference(reference)
            let progress = Progress(verb: "pull", style: Progress.defaultStyle(quiet: transfer.quiet))
            try await runClient(try settingsOrExit(connection), jobs: transfer.jobs) { conn in
                let puller = try Puller(remote: Remote(conn), jobs: transfer.jobs, progress: progress, cacheDirectory: cacheDirectory(cache, noCache: noCache))
                let (summary, version) = try await puller.pull(model: ref.model, ref.version, to: directory)
                if transfer.json {
                    var o = try JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any] ?? [:]
                    o["model"] = ref.model
                    o["version"] = version
                    printJSON(o, pretty: false)
                } else if !transfer.quiet {
                    printError("\(ref.model) version \(version) is in \(directory)\n")
                }
            }
        }
    }

    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move, remove and trace aliases (production, staging, …).",
                                                        subcommands: [Set.self, Remove.self, History.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Point ALIAS at VERSION (every move is recorded).")
            @OptionGroup var connection: ConnectionOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "Why (kept in the history).") var reason: String?
            @Flag(help: "Move a protected alias (needs an admin key).") var force = false
            @Flag(help: "Protect the alias: later moves need --force (needs an admin key).") var protect = false
            @Flag(help: "Remove the protection (needs an admin key).") var unprotect = false
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias.") var alias: String
            @Argument(help: "Version number.") var version: Int

            func validate() throws {
                guard !(protect && unprotect) else { throw ValidationError("--protect and --unprotect exclude each other") }
            }

            func run() async throws {
                var body: [String: Any] = ["version": version]
                if let reason { body["reason"] = reason }
                if force { body["force"] = true }
                if protect { body["protected"] = true }
                if unprotect { body["protected"] = false }
                try await runRegistry(connection) { registry in
                    let record = try await registry.send(.PUT, Registry.modelPath(name) + "/aliases/" + percent(alias), json: body)
                    output.print(record) { print("\(name)@\(alias) -> version \(version)\((record["protected"] as? Bool ?? false) ? " (protected)" : "")") }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an alias (recorded in its history).")
            @OptionGroup var connection: ConnectionOptions
            @Option(help: "Why (kept in the history).") var reason: String?
            @Flag(help: "Remove a protected alias (needs an admin key).") var force = false
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias.") var alias: String

            func run() async throws {
                var query: [String] = []
                if let reason { query.append("reason=" + percent(reason)) }
                if force { query.append("force=true") }
                try await runRegistry(connection) { registry in
                    _ = try await registry.send(.DELETE, Registry.modelPath(name) + "/aliases/" + percent(alias), query: query.joined(separator: "&"))
                    print("removed \(name)@\(alias)")
                }
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every move of an alias; with --at, the version it named at that time.")
            @OptionGroup var connection: ConnectionOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "An ISO 8601 time, e.g. 2026-03-03T12:00:00Z.") var at: String?
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias.") var alias: String

            func run() async throws {
                try await runRegistry(connection) { registry in
                    let history = try await registry.get(Registry.modelPath(name) + "/aliases/" + percent(alias) + "/history",
                                                         query: at.map { "at=" + percent($0) } ?? "")
                    output.print(history) {
                        let moves = history["moves"] as? [[String: Any]] ?? []
                        table(["TIME", "BY", "FROM", "TO", "REASON"], moves.map { m in
                            [m["at"] as? String ?? "", m["by"] as? String ?? "", (m["from"] as? Int).map(String.init) ?? "-",
                             (m["to"] as? Int).map(String.init) ?? "(removed)", m["reason"] as? String ?? ""]
                        })
                        if let at {
                            let v = history["version_at"] as? Int
                            print("at \(at): \(v.map { "version \($0)" } ?? "no version")")
                        }
                    }
                }
            }
        }
    }
}

struct Lineage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What a version came from (datasets, runs, git, parents), or which versions used a dataset (--dataset).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Reverse lineage: md5:HEX or sha256:HEX.") var dataset: String?
    @Argument(help: "NAME@ALIAS, NAME@VERSION or NAME.") var reference: String?

    func validate() throws {
        guard (dataset == nil) != (reference == nil) else { throw ValidationError("give either NAME@REF or --dataset DIGEST") }
    }

    func run() async throws {
        try await runRegistry(connection) { registry in
            if let dataset {
                let answer = try await registry.get("/api/v1/lineage/datasets/" + percent(dataset))
                output.print(answer) {
                    let versions = answer["versions"] as? [[String: Any]] ?? []
                    if versions.isEmpty { print("no version uses \(dataset)"); return }
                    table(["VERSION", "VIA"], versions.map { v in ["\(v["model"] as? String ?? "")@\(v["version"] as? Int ?? 0)", v["via"] as? String ?? ""] })
                }
                return
            }
            let ref = try parseReference(reference!)
            let upstream = try await registry.lineage(ref.model, ref.version)
            output.print(upstream) { printTree(upstream, indent: "", label: ref.version == .latest ? nil : "\(ref.model)@\(ref.version)") }
        }
    }

    private func printTree(_ node: [String: Any], indent: String, label: String?) {
        let name = "\(node["model"] as? String ?? "?")@\(node["version"] as? Int ?? 0)"
        if indent.isEmpty { print(label.map { $0 == name ? name : "\($0) = \(name)" } ?? name) }
        var lines: [(String, [String: Any]?)] = []
        for d in node["datasets"] as? [[String: Any]] ?? [] {
            let ref = d["dataset"] as? [String: Any] ?? [:]
            let digest = (ref["md5"] as? String).map { "md5:\($0)" } ?? (ref["sha256"] as? String).map { "sha256:\($0)" } ?? "?"
            var text = "dataset \(ref["path"] as? String ?? ref["uri"] as? String ?? "") \(digest)"
            if let stage = ref["dvc_stage"] as? String { text += " (stage \(stage))" }
            if d["present"] as? Bool == true, let blob = d["blob"] as? [String: Any] {
                text += ", \(formatBytes(blob["size"] as? Int ?? 0)) in store"
                let locations = d["locations"] as? [[String: Any]] ?? []
                if let first = locations.first { text += " at s3://\(first["bucket"] as? String ?? "")/\(first["key"] as? String ?? "")" }
                if locations.count > 1 { text += " (+\(locations.count - 1) more)" }
            } else {
                text += ", NOT in the store"
            }
            lines.append((text, nil))
        }
        for r in node["runs"] as? [[String: Any]] ?? [] {
            lines.append(("run \(r["id"] as? String ?? "?")\((r["link"] as? String).map { " \($0)" } ?? "")", nil))
        }
        if let git = node["git"] as? [String: Any] {
            lines.append(("git \(git["commit"] as? String ?? "?")\((git["repository"] as? String).map { " \($0)" } ?? "")", nil))
        }
        for p in node["parents"] as? [[String: Any]] ?? [] {
            lines.append(("parent \(p["model"] as? String ?? "?")@\(p["version"] as? Int ?? 0)", p))
        }
        for (i, (text, child)) in lines.enumerated() {
            let last = i == lines.count - 1
            print(indent + (last ? "└─ " : "├─ ") + text)
            if let child { printTree(child, indent: indent + (last ? "   " : "│  "), label: nil) }
        }
    }
}

/// `--json` and `--quiet` for the registry commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the server's JSON answer instead of text.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func print(_ object: Any, text: () -> Void) {
        if json { printJSON(object, pretty: true) } else { text() }
    }
}

func runRegistry(_ options: ConnectionOptions, jobs: Int = 1, _ body: (Registry) async throws -> Void) async throws {
    try await runClient(try settingsOrExit(options), jobs: jobs) { conn in try await body(Registry(conn)) }
}

/// `NAME[@REF]`, or an `error:` line and exit status 1 like every other input error.
func parseReference(_ text: String) throws -> ModelReference {
    do { return try ModelReference(parsing: text) } catch {
        printError("error: \(error)\n")
        throw ExitCode(1)
    }
}

func cacheDirectory(_ flag: String?, noCache: Bool) -> URL? {
    let env = ProcessInfo.processInfo.environment
    return noCache ? nil : URL(fileURLWithPath: flag ?? env["CAIRN_CACHE_DIR"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache/cairn"))
}

func keyValues(_ items: [String], flag: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in items {
        let (k, v) = splitOnce(item, "=")
        guard let v, !k.isEmpty else { throw ClientError.local("\(flag) \(item): expected KEY=VALUE") }
        out[k] = v
    }
    return out
}

func splitOnce(_ text: String, _ separator: Character) -> (String, String?) {
    guard let i = text.firstIndex(of: separator) else { return (text, nil) }
    return (String(text[..<i]), String(text[text.index(after: i)...]))
}

func percent(_ text: String) -> String { URIEncoding.encode(text, encodeSlash: true) }

func printJSON(_ object: Any, pretty: Bool) {
    let options: JSONSerialization.WritingOptions = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    if let data = try? JSONSerialization.data(withJSONObject: object, options: options) { print(String(decoding: data, as: UTF8.self)) }
}

func describeTags(_ tags: Any?) -> String {
    let map = tags as? [String: Any] ?? [:]
    return map.isEmpty ? "-" : map.keys.sorted().map { "\($0)=\(map[$0] ?? "")" }.joined(separator: ",")
}

func describeVersion(_ v: [String: Any]) {
    print("\(v["model"] as? String ?? "?") version \(v["version"] as? Int ?? 0)")
    print("  created: \(v["created_at"] as? String ?? "-") by \(v["created_by"] as? String ?? "-")")
    for f in v["files"] as? [[String: Any]] ?? [] {
        print("  file \(f["path"] as? String ?? "?")  \(formatBytes(f["size"] as? Int ?? 0))  sha256:\(f["sha256"] as? String ?? "")")
    }
    for (label, key) in [("param", "params"), ("metric", "metrics"), ("meta", "metadata")] {
        let map = v[key] as? [String: Any] ?? [:]
        for k in map.keys.sorted() { print("  \(label) \(k)=\(map[k]!)") }
    }
    let lineage = v["lineage"] as? [String: Any] ?? [:]
    let datasets = lineage["datasets"] as? [Any] ?? [], parents = lineage["parents"] as? [[String: Any]] ?? []
    print("  lineage: \(datasets.count) dataset(s), \((lineage["runs"] as? [Any] ?? []).count) run(s), parents: "
          + (parents.isEmpty ? "-" : parents.map { "\($0["model"] as? String ?? "?")@\($0["version"] as? Int ?? 0)" }.joined(separator: ", ")))
}

/// Left-aligned columns.
func table(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    for row in [header] + rows {
        print(row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
}
