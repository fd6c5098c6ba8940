import ArgumentParser
import CairnClient

extension Model {
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

        /// `--json`: the transfer summary, and which version it was.
        struct Pulled: Encodable {
            var model: String
            var version: Int
        }

        func run() async throws {
            let ref = try parseReference(reference)
            let progress = Progress(verb: "pull", style: Progress.defaultStyle(quiet: transfer.quiet))
            try await runClient(try settingsOrExit(connection), jobs: transfer.jobs) { conn in
                let puller = try Puller(remote: Remote(conn), jobs: transfer.jobs, progress: progress, cacheDirectory: cacheDirectory(cache, noCache: noCache))
                let (summary, version) = try await puller.pull(model: ref.model, ref.version, to: directory)
                if transfer.json {
                    printJSON(Extended(base: summary, extra: Pulled(model: ref.model, version: version)), pretty: false)
                } else if !transfer.quiet {
                    printError("\(ref.model) version \(version) is in \(directory)\n")
                }
            }
        }
    }
}
