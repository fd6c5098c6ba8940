import ArgumentParser
import CairnClient
import CairnCore
import CairnProtocol
import Foundation

struct Scrub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-read and verify every chunk on the server; quarantine corrupt ones and name what they affect (admin key).",
        discussion: "Exits with status 3 when corrupt chunks were found.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var corrupt = false
        try await runAdmin(connection) { admin in
            let r = try await admin.scrub()
            corrupt = !r.corrupt.isEmpty
            output.print(r) {
                print("scrub: \(r.chunksChecked) chunks, \(formatBytes(r.storedBytes)) read in \(String(format: "%.2f", r.seconds)) s"
                      + (r.seconds > 0 ? " (\(formatBytes(Int(Double(r.storedBytes) / r.seconds)))/s)" : "") + (r.corrupt.isEmpty ? ": all intact" : ""))
                for c in r.corrupt { print("CORRUPT chunk \(c.digest) in \(c.pack)+\(c.offset): \(c.reason) (quarantined)") }
                for o in r.affectedObjects { print("  affects s3://\(o.bucket)/\(o.key)") }
                for v in r.affectedVersions { print("  affects model \(v.model)@\(v.version) file \(v.path)") }
            }
        }
        if corrupt { throw ExitCode(problemsFound) }
    }
}
