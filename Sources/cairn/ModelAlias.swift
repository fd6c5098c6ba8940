import ArgumentParser
import CairnClient
import CairnCore
import CairnProtocol

extension Model {
    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move, remove and trace aliases (production, staging, …).",
                                                        subcommands: [Set.self, Remove.self, History.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Point ALIAS at VERSION (every move is recorded).")
            @OptionGroup var connection: ConnectionOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "Why (kept in the history).") var reason: String?
            @Flag(help: "Move a protected alias (needs an admin key).") var force = false
            @Flag(help: "Protect the alias: later moves need --force (needs an admin key).") var protect = false
            @Flag(help: "Remove the protection (needs an admin key).") var unprotect = false
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias.") var alias: String
            @Argument(help: "Version number.") var version: Int

            func validate() throws {
                guard !(protect && unprotect) else { throw ValidationError("--protect and --unprotect exclude each other") }
            }

            func run() async throws {
                let request = SetAliasRequest(version: version, reason: reason, protected: protect ? true : unprotect ? false : nil,
                                              force: force ? true : nil)
                try await runRegistry(connection) { registry in
                    let record = try await registry.setAlias(name, alias, request)
                    output.print(record) { print("\(name)@\(alias) -> version \(version)\(record.protected ? " (protected)" : "")") }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an alias (recorded in its history).")
            @OptionGroup var connection: ConnectionOptions
            @Option(help: "Why (kept in the history).") var reason: String?
            @Flag(help: "Remove a protected alias (needs an admin key).") var force = false
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias.") var alias: String

            func run() async throws {
                try await runRegistry(connection) { registry in
                    try await registry.deleteAlias(name, alias, reason: reason, force: force)
                    print("removed \(name)@\(alias)")
                }
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every move of an alias; with --at, the version it named at that time.")
            @OptionGroup var connection: ConnectionOptions
            @OptionGroup var output: OutputOptions
            @Option(help: "An ISO 8601 time, e.g. 2026-03-03T12:00:00Z.") var at: String?
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias.") var alias: String

            func run() async throws {
                try await runRegistry(connection) { registry in
                    let history = try await registry.aliasHistory(name, alias, at: at)
                    output.print(history) {
                        table(["TIME", "BY", "FROM", "TO", "REASON"], history.moves.map { m in
                            [ISO8601Time.format(m.at), m.by, m.from.map(String.init) ?? "-", m.to.map(String.init) ?? "(removed)", m.reason ?? ""]
                        })
                        if let at {
                            let v = history.versionAt ?? nil
                            print("at \(at): \(v.map { "version \($0)" } ?? "no version")")
                        }
                    }
                }
            }
        }
    }
}
