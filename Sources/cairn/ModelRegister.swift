import ArgumentParser
import CairnClient
import CairnCore
import CairnProtocol
import Foundation

extension Model {
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

        /// `--json`: the new version, what the upload did, and the alias if one was moved.
        struct Registered: Encodable {
            var transfer: TransferSummary
            var alias: AliasInfo?
        }

        func run() async throws {
            try await runRegistry(connection, jobs: jobs) { registry in
                // Every local input is checked before anything is sent.
                let (lineage, lockParams) = try buildLineage()
                var paramMap = lockParams
                paramMap.merge(try keyValues(params, flag: "--param")) { _, explicit in explicit }
                var metricMap: [String: Double] = [:]
                for (k, v) in try keyValues(metrics, flag: "--metric") {
                    guard let d = Double(v) else { throw ClientError.local("--metric \(k)=\(v): the value is not a number") }
                    metricMap[k] = d
                }
                let metadataMap = try keyValues(metadata, flag: "--meta")
                let progress = Progress(verb: "register", style: Progress.defaultStyle(quiet: output.quiet || output.json))
                var version: VersionInfo?
                let summary = try await Pusher(remote: Remote(registry.connection), jobs: jobs, progress: progress).pushBlobs(path) { files in
                    // The model is created with its first version, in one step: a rejected version leaves nothing behind.
                    let request = CreateVersionRequest(files: files.map { .init(path: $0.path, sha256: $0.sha256.hex) }, params: paramMap,
                                                       metrics: metricMap, metadata: metadataMap, lineage: lineage, createModel: true)
                    version = try await registry.createVersion(name, request)
                }
                guard let version else { throw ClientError.protocolError("no version was registered") }
                var moved: AliasInfo?
                if let alias {
                    do {
                        moved = try await registry.setAlias(name, alias, SetAliasRequest(version: version.version))
                    } catch let error as ClientError {
                        throw ClientError.local("registered \(name) version \(version.version), but did not move alias \(alias): \(error)")
                    }
                }
                output.print(Extended(base: version, extra: Registered(transfer: summary, alias: moved))) {
                    print("registered \(name) version \(version.version): \(version.files.count) file(s), \(formatBytes(summary.logicalBytes)), sent \(formatBytes(summary.payloadBytes))"
                          + (alias.map { ", alias \($0)" } ?? ""))
                }
            }
        }

        /// The version's lineage from --dvc-lock, --dataset, --run, --git-commit and --parent, and the lock's params.
        private func buildLineage() throws -> (LineageInfo, lockParams: [String: String]) {
            var lineage = LineageInfo()
            var lockParams: [String: String] = [:]
            if let dvcLock {
                let (datasets, params) = try lockDatasets(dvcLock)
                lineage.datasets = datasets
                lockParams = params
            }
            for d in datasets {
                let (digest, location) = splitOnce(d, "=")
                let parts = digest.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, (parts[0] == "md5" && parts[1].count == 32) || (parts[0] == "sha256" && parts[1].count == 64),
                      parts[1].allSatisfy(\.isHexDigit) else { throw ClientError.local("--dataset \(d): expected md5:<32 hex> or sha256:<64 hex>") }
                let hex = parts[1].lowercased()
                var entry = parts[0] == "md5" ? DatasetInfo(md5: hex) : DatasetInfo(sha256: hex)
                if let location { if location.contains("://") { entry.uri = location } else { entry.path = location } }
                lineage.datasets.append(entry)
            }
            lineage.runs = runs.map { r in
                let (id, link) = splitOnce(r, "=")
                return RunInfo(id: id, link: link)
            }
            lineage.git = gitCommit.map { GitInfo(commit: $0, repository: gitRepo) }
            lineage.parents = try parents.map { p in
                let ref = try ModelReference(parsing: p)
                guard case .number(let n) = ref.version else { throw ClientError.local("--parent \(p): expected NAME@VERSION") }
                return VersionRef(model: ref.model, version: n)
            }
            return (lineage, lockParams)
        }

        /// Every chosen stage's dependencies (each path and md5 once) and params.
        private func lockDatasets(_ file: String) throws -> ([DatasetInfo], [String: String]) {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { throw ClientError.local("cannot read \(file): \(error.localizedDescription)") }
            let lock = try DvcLock(parsing: text)
            let chosen = stage.isEmpty ? lock.stages : try stage.map { s in
                guard let found = lock.stages.first(where: { $0.name == s }) else {
                    throw ClientError.local("\(file) has no stage \(s) (it has: \(lock.stages.map(\.name).joined(separator: ", ")))")
                }
                return found
            }
            var datasets: [DatasetInfo] = []
            var params: [String: String] = [:]
            var seen: Set<String> = []
            for s in chosen {
                for d in s.dependencies where seen.insert(d.md5 + " " + d.path).inserted {
                    datasets.append(DatasetInfo(md5: d.md5, path: d.path, dvcStage: s.name))
                }
                params.merge(s.parameters) { a, _ in a }
            }
            return (datasets, params)
        }
    }
}
