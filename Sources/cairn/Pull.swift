import ArgumentParser
import CairnClient
import Foundation

struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download an object or a prefix, fetching only chunks missing from the local cache.",
        discussion: """
            If an object's key is exactly PREFIX it is written to PATH (or into PATH when that is a directory); otherwise \
            every object under PREFIX/ is written below PATH. Files appear only complete and verified. Rerun to resume.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transfer: TransferOptions

    @Option(help: "Local chunk cache directory (else CAIRN_CACHE_DIR, else ~/.cache/cairn).")
    var cache: String?

    @Flag(name: .customLong("no-cache"), help: "Do not read or fill the local chunk cache.")
    var noCache = false

    @Argument(help: "Source, s3://BUCKET/PREFIX.")
    var source: String

    @Argument(help: "Local destination path.")
    var path: String

    func run() async throws {
        let location: S3Location
        do { location = try S3Location(parsing: source) } catch { throw ValidationError("\(error)") }
        let cacheDirectory = cacheDirectory(cache, noCache: noCache)
        let progress = Progress(verb: "pull", style: Progress.defaultStyle(quiet: transfer.quiet))
        try await runClient(try settingsOrExit(connection), jobs: transfer.jobs) { conn in
            let puller = try Puller(remote: Remote(conn), jobs: transfer.jobs, progress: progress, cacheDirectory: cacheDirectory)
            let summary = try await puller.pull(location, to: path)
            if transfer.json { print(summary.json()) }
        }
    }
}
