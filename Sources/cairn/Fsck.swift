import ArgumentParser
import CairnClient
import CairnProtocol
import CairnStore
import Foundation

struct Fsck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the index against the packs and itself; optionally rebuild the chunk index from the packs.",
        discussion: """
            Against the server (admin key) by default, or directly on a data directory with --data while no server \
            uses it. Exits with status 3 when the store is inconsistent.
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Check this data directory directly (the server must be stopped).") var data: String?
    @Flag(name: .customLong("rebuild-chunk-index"), help: "First index every verified pack record the chunk index lacks.") var rebuild = false

    func run() async throws {
        var report: FsckReport
        if let data {
            let store: Store
            do { store = try Store.open(directory: URL(fileURLWithPath: data)) } catch {
                printError("error: \(error)\n")
                throw ExitCode(1)
            }
            defer { store.close() }
            report = try await store.fsck(rebuildChunkIndex: rebuild)
        } else {
            var answer: FsckReport?
            try await runAdmin(connection) { admin in answer = try await admin.fsck(rebuildChunkIndex: rebuild) }
            guard let answer else { throw ExitCode(1) }
            report = answer
        }
        let r = report
        output.print(r) {
            if rebuild { print("rebuilt \(r.rebuiltChunks) chunk index entries from the packs") }
            print("fsck: \(r.chunks) chunks, \(r.blobs) blobs, \(r.objects) objects, \(r.versions) versions, \(r.packs) packs: "
                  + (r.consistent ? "consistent" : "INCONSISTENT"))
            if r.quarantinedReferences > 0 { print("  \(r.quarantinedReferences) references to quarantined (corrupt) chunks") }
            for p in r.problems { print("  \(p)") }
        }
        if !r.consistent { throw ExitCode(problemsFound) }
    }
}
