import ArgumentParser
import CairnClient
import CairnCore
import CairnProtocol
import Foundation

/// `--json` and `--quiet` for the registry and maintenance commands.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the server's JSON answer instead of text.") var json = false
    @Flag(help: "No progress output.") var quiet = false

    func print(_ value: some Encodable, text: () -> Void) {
        if json { printJSON(value, pretty: true) } else { text() }
    }
}

func printJSON(_ value: some Encodable, pretty: Bool) {
    if let data = try? WireJSON.encode(value, pretty: pretty) { print(String(decoding: data, as: UTF8.self)) }
}

/// Runs a registry operation (see `runClient`).
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

/// `--cache`, else `CAIRN_CACHE_DIR`, else `~/.cache/cairn`; nil with `--no-cache`.
func cacheDirectory(_ flag: String?, noCache: Bool) -> URL? {
    let env = ProcessInfo.processInfo.environment
    return noCache ? nil : URL(fileURLWithPath: flag ?? env["CAIRN_CACHE_DIR"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache/cairn"))
}

/// Repeated `KEY=VALUE` flags.
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

func describeTags(_ tags: [String: String]) -> String {
    tags.isEmpty ? "-" : tags.keys.sorted().map { "\($0)=\(tags[$0]!)" }.joined(separator: ",")
}

func describeVersion(_ v: VersionInfo) {
    print("\(v.model) version \(v.version)")
    print("  created: \(ISO8601Time.format(v.createdAt)) by \(v.createdBy)")
    for f in v.files { print("  file \(f.path)  \(formatBytes(Int(f.size)))  sha256:\(f.sha256)") }
    for k in v.params.keys.sorted() { print("  param \(k)=\(v.params[k]!)") }
    for k in v.metrics.keys.sorted() { print("  metric \(k)=\(describeNumber(v.metrics[k]!))") }
    for k in v.metadata.keys.sorted() { print("  meta \(k)=\(v.metadata[k]!)") }
    let parents = v.lineage.parents
    print("  lineage: \(v.lineage.datasets.count) dataset(s), \(v.lineage.runs.count) run(s), parents: "
          + (parents.isEmpty ? "-" : parents.map { "\($0.model)@\($0.version)" }.joined(separator: ", ")))
}

/// A number as JSON writes it: `3` for a whole number, `0.91` otherwise.
func describeNumber(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
}

/// Left-aligned columns.
func table(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    for row in [header] + rows {
        print(row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
}

/// A wire value with more fields beside it in one JSON object (the CLI's answers add what it did).
struct Extended<Base: Encodable, Extra: Encodable>: Encodable {
    var base: Base
    var extra: Extra

    func encode(to encoder: any Encoder) throws {
        try base.encode(to: encoder)
        try extra.encode(to: encoder)
    }
}
