import ArgumentParser
import CairnClient
import CairnCore
import CairnStore
import Foundation
import NIOHTTP1

/// Exit code of `cairn scrub` and `cairn fsck` when they find problems (after printing them).
let problemsFound: Int32 = 3

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
        try await runRegistry(connection) { registry in
            let r = try await registry.send(.POST, "/api/v1/admin/gc", query: query.joined(separator: "&"))
            output.print(r) {
                func n(_ key: String) -> Int { r[key] as? Int ?? 0 }
                if dryRun {
                    print("gc (dry run): \(n("candidate_chunks")) of \(n("total_chunks")) chunks unreferenced (\(formatBytes(n("candidate_chunk_bytes")))), "
                          + "\(n("candidate_blobs")) blobs; \(n("grace_chunks")) kept by the grace period; packs to delete: \(n("packs_to_delete")), to compact: \(n("packs_to_compact"))")
                } else {
                    print("gc: freed \(n("freed_chunks")) chunks and \(n("freed_blobs")) blobs (\(n("revived")) revived by new references); "
                          + "packs: \(n("packs_deleted")) deleted, \(n("packs_compacted")) compacted; \(formatBytes(n("bytes_freed"))) freed; "
                          + "\(n("expired_sessions")) expired sessions, \(n("aborted_uploads")) abandoned uploads removed; "
                          + String(format: "%.2f s", r["seconds"] as? Double ?? 0))
                }
            }
        }
    }
}

struct Scrub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-read and verify every chunk on the server; quarantine corrupt ones and name what they affect (admin key).",
        discussion: "Exits with status 3 when corrupt chunks were found.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var corrupt = false
        try await runRegistry(connection) { registry in
            let r = try await registry.send(.POST, "/api/v1/admin/scrub")
            let bad = r["corrupt"] as? [[String: Any]] ?? []
            corrupt = !bad.isEmpty
            output.print(r) {
                let seconds = r["seconds"] as? Double ?? 0, stored = r["stored_bytes"] as? Int ?? 0
                print("scrub: \(r["chunks_checked"] as? Int ?? 0) chunks, \(formatBytes(stored)) read in \(String(format: "%.2f", seconds)) s"
                      + (seconds > 0 ? " (\(formatBytes(Int(Double(stored) / seconds)))/s)" : "") + (bad.isEmpty ? ": all intact" : ""))
                for c in bad {
                    print("CORRUPT chunk \(c["digest"] as? String ?? "?") in \(c["pack"] as? String ?? "?")+\(c["offset"] as? Int ?? 0): \(c["reason"] as? String ?? "") (quarantined)")
                }
                for o in r["affected_objects"] as? [[String: Any]] ?? [] { print("  affects s3://\(o["bucket"] as? String ?? "")/\(o["key"] as? String ?? "")") }
                for v in r["affected_versions"] as? [[String: Any]] ?? [] {
                    print("  affects model \(v["model"] as? String ?? "")@\(v["version"] as? Int ?? 0) file \(v["path"] as? String ?? "")")
                }
            }
        }
        if corrupt { throw ExitCode(problemsFound) }
    }
}

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
        var report: [String: Any] = [:]
        if let data {
            let store: Store
            do { store = try Store.open(directory: URL(fileURLWithPath: data)) } catch {
                printError("error: \(error)\n")
                throw ExitCode(1)
            }
            let result = try await store.fsck(rebuildChunkIndex: rebuild)
            store.close()
            let encoder = JSONEncoder()
            report = (try JSONSerialization.jsonObject(with: encoder.encode(result)) as? [String: Any]) ?? [:]
        } else {
            try await runRegistry(connection) { registry in
                report = try await registry.send(.POST, "/api/v1/admin/fsck", query: rebuild ? "rebuild-chunk-index=true" : "")
            }
        }
        let consistent = report["consistent"] as? Bool ?? false
        output.print(report) {
            func n(_ key: String) -> Int { report[key] as? Int ?? 0 }
            if rebuild { print("rebuilt \(n("rebuilt_chunks")) chunk index entries from the packs") }
            print("fsck: \(n("chunks")) chunks, \(n("blobs")) blobs, \(n("objects")) objects, \(n("versions")) versions, \(n("packs")) packs: "
                  + (consistent ? "consistent" : "INCONSISTENT"))
            if n("quarantined_references") > 0 { print("  \(n("quarantined_references")) references to quarantined (corrupt) chunks") }
            for p in report["problems"] as? [String] ?? [] { print("  \(p)") }
        }
        if !consistent { throw ExitCode(problemsFound) }
    }
}
