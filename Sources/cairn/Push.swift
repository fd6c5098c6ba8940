import ArgumentParser
import CairnClient

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a file or directory, sending only the chunks the server lacks.",
        discussion: """
            A file becomes the key PREFIX (or PREFIX + its name when PREFIX is empty or ends with '/'). A directory's \
            files become PREFIX/relative/path. Rerun after an interruption to resume.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transfer: TransferOptions

    @Argument(help: "Local file or directory.")
    var path: String

    @Argument(help: "Destination, s3://BUCKET/PREFIX.")
    var destination: String

    func run() async throws {
        let location: S3Location
        do { location = try S3Location(parsing: destination) } catch { throw ValidationError("\(error)") }
        let progress = Progress(verb: "push", style: Progress.defaultStyle(quiet: transfer.quiet))
        try await runClient(try settingsOrExit(connection), jobs: transfer.jobs) { conn in
            let summary = try await Pusher(remote: Remote(conn), jobs: transfer.jobs, progress: progress).push(path, to: location)
            if transfer.json { print(summary.json()) }
        }
    }
}
