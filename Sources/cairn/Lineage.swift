import ArgumentParser
import CairnClient
import CairnProtocol

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
                let answer = try await registry.downstream(dataset)
                output.print(answer) {
                    if answer.versions.isEmpty { print("no version uses \(dataset)"); return }
                    table(["VERSION", "VIA"], answer.versions.map { ["\($0.model)@\($0.version)", $0.via] })
                }
                return
            }
            let ref = try parseReference(reference!)
            let upstream = try await registry.lineage(ref.model, ref.version)
            output.print(upstream) { printTree(upstream, indent: "", label: ref.version == .latest ? nil : "\(ref.model)@\(ref.version)") }
        }
    }

    private func printTree(_ node: Upstream, indent: String, label: String?) {
        let name = "\(node.model)@\(node.version)"
        if indent.isEmpty { print(label.map { $0 == name ? name : "\($0) = \(name)" } ?? name) }
        var lines: [(String, Upstream?)] = []
        for d in node.datasets {
            let ref = d.dataset
            let digest = ref.md5.map { "md5:\($0)" } ?? ref.sha256.map { "sha256:\($0)" } ?? "?"
            var text = "dataset \(ref.path ?? ref.uri ?? "") \(digest)"
            if let stage = ref.dvcStage { text += " (stage \(stage))" }
            if d.present, let blob = d.blob {
                text += ", \(formatBytes(Int(blob.size))) in store"
                if let first = d.locations.first { text += " at s3://\(first.bucket)/\(first.key)" }
                if d.locations.count > 1 { text += " (+\(d.locations.count - 1) more)" }
            } else {
                text += ", NOT in the store"
            }
            lines.append((text, nil))
        }
        for r in node.runs { lines.append(("run \(r.id)\(r.link.map { " \($0)" } ?? "")", nil)) }
        if let git = node.git { lines.append(("git \(git.commit)\(git.repository.map { " \($0)" } ?? "")", nil)) }
        for p in node.parents { lines.append(("parent \(p.model)@\(p.version)", p)) }
        for (i, (text, child)) in lines.enumerated() {
            let last = i == lines.count - 1
            print(indent + (last ? "└─ " : "├─ ") + text)
            if let child { printTree(child, indent: indent + (last ? "   " : "│  "), label: nil) }
        }
    }
}
