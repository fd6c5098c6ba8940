import ArgumentParser
import CairnClient
import CairnCore
import CairnProtocol
import Foundation

/// Exit code of `cairn scrub` and `cairn fsck` when they find problems (after printing them).
let problemsFound: Int32 = 3

/// Runs a maintenance call on the server (see `runClient`).
func runAdmin(_ options: ConnectionOptions, _ body: (Admin) async throws -> Void) async throws {
    try await runClient(try settingsOrExit(options), jobs: 1) { conn in try await body(Admin(conn)) }
}

struct GC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Collect garbage on the server: chunks, blobs and packs nothing references any more (admin key).",
        discussion: """
            Roots: objects, model versions' files (and, by default, the datasets their lineage names), open \
            multipart uploads and dedupe sessions, and everything in packs written within the grace period. \
            Safe while clients read and write; only one collection runs at a time.
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Flag(name: .customLong("dry-run"), help: "Only report what would be freed.") var dryRun = false
    @Option(help: "Grace period for this run, e.g. 0s, 2h, 1d (default: the server's --gc-grace).") var grace: String?
    @Flag(name: .customLong("no-pin-lineage"), help: "Do not keep dataset blobs that only model lineage names.") var noPinLineage = false
    @Option(name: .customLong("compact-below"), help: "Compact packs whose live share is below this (0–1, default 0.5).") var compactBelow: Double?
    @Option(name: .customLong("upload-max-age"), help: "Abort multipart uploads older than this (default: the server's).") var uploadMaxAge: String?

    func validate() throws {
        for (flag, value) in [("--grace", grace), ("--upload-max-age", uploadMaxAge)] {
            if let value, parseDuration(value) == nil { throw ValidationError("\(flag) is a duration such as 0s, 90s, 15m, 24h or 7d") }
        }
    }

    func run() async throws {
        var query: [String] = []
        if dryRun { query.append("dry-run=true") }
        if let grace { query.append("grace=\(grace)") }
        if noPinLineage { query.append("pin-lineage=false") }
        if let compactBelow { query.append("compact-below=\(compactBelow)") }
        if let uploadMaxAge { query.append("upload-max-age=\(uploadMaxAge)") }
        try await runAdmin(connection) { admin in
            let r = try await admin.collectGarbage(query: query.joined(separator: "&"))
            output.print(r) {
                if dryRun {
                    print("gc (dry run): \(r.candidateChunks) of \(r.totalChunks) chunks unreferenced (\(formatBytes(r.candidateChunkBytes))), "
                          + "\(r.candidateBlobs) blobs; \(r.graceChunks) kept by the grace period; packs to delete: \(r.packsToDelete), to compact: \(r.packsToCompact)")
                } else {
                    print("gc: freed \(r.freedChunks) chunks and \(r.freedBlobs) blobs (\(r.revived) revived by new references); "
                          + "packs: \(r.packsDeleted) deleted, \(r.packsCompacted) compacted; \(formatBytes(r.bytesFreed)) freed; "
                          + "\(r.expiredSessions) expired sessions, \(r.abortedUploads) abandoned uploads removed; "
                          + String(format: "%.2f s", r.seconds))
                }
            }
        }
    }
}
