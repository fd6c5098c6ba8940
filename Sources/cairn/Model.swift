import ArgumentParser
import CairnClient
import CairnCore
import CairnProtocol
import Foundation

/// `cairn model …`: the model registry from the command line.
struct Model: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, register, list, show and pull models and versions; move aliases.",
        subcommands: [Create.self, Register.self, List.self, Show.self, Versions.self, Alias.self, PullModel.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a model (names: lowercase letters, digits, '-', '_', '.', '/' for namespaces).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Description.") var description: String = ""
        @Option(name: .customLong("tag"), help: "A KEY=VALUE tag (repeatable).") var tags: [String] = []
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            try await runRegistry(connection) { registry in
                let tagMap = try keyValues(tags, flag: "--tag")
                let model = try await registry.createModel(CreateModelRequest(name: name, description: description, tags: tagMap))
                output.print(model) { print("created model \(name)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List models, by name prefix and tags.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only names starting with this.") var prefix: String = ""
        @Option(name: .customLong("tag"), help: "Only models with this KEY=VALUE tag (repeatable).") var tags: [String] = []

        func run() async throws {
            try await runRegistry(connection) { registry in
                let models = try await registry.models(prefix: prefix, tags: try keyValues(tags, flag: "--tag"))
                output.print(ModelList(models: models)) {
                    table(["NAME", "LATEST", "TAGS", "DESCRIPTION"], models.map { m in
                        [m.name, String(m.latestVersion), describeTags(m.tags), m.description]
                    })
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model and its aliases, or one version (NAME@VERSION, NAME@ALIAS).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "NAME, NAME@VERSION or NAME@ALIAS.") var reference: String

        func run() async throws {
            let ref = try parseReference(reference)
            try await runRegistry(connection) { registry in
                if ref.version == .latest && !reference.hasSuffix("@latest") {
                    let model = try await registry.model(ref.model)
                    let aliases = try await registry.aliases(ref.model)
                    output.print(Extended(base: model, extra: AliasList(aliases: aliases))) {
                        print("model \(ref.model)")
                        if !model.description.isEmpty { print("  description: \(model.description)") }
                        print("  tags: \(describeTags(model.tags))")
                        print("  created: \(ISO8601Time.format(model.createdAt)) by \(model.createdBy)")
                        print("  latest version: \(model.latestVersion)")
                        for a in aliases { print("  alias \(a.alias) -> version \(a.version)\(a.protected ? " (protected)" : "")") }
                    }
                    return
                }
                let version = try await registry.version(ref.model, ref.version)
                output.print(version) { describeVersion(version) }
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a model's versions.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "Model name.") var name: String

        func run() async throws {
            try await runRegistry(connection) { registry in
                let versions = try await registry.versions(name)
                let aliases = try await registry.aliases(name)
                output.print(VersionList(versions: versions)) {
                    table(["VERSION", "CREATED", "BY", "FILES", "SIZE", "ALIASES"], versions.map { v in
                        let size = v.files.reduce(0) { $0 + Int($1.size) }
                        let names = aliases.filter { $0.version == v.version }.map(\.alias)
                        return [String(v.version), ISO8601Time.format(v.createdAt), v.createdBy, String(v.files.count), formatBytes(size),
                                names.joined(separator: ",")]
                    })
                }
            }
        }
    }
}

/// `cairn model list --json`: every page's models in one list.
struct ModelList: Encodable {
    var models: [ModelInfo]
}

/// `cairn model versions --json`.
struct VersionList: Encodable {
    var versions: [VersionInfo]
}
