import ArgumentParser
import CairnClient

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or change the saved client settings.",
        subcommands: [Show.self, Set.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the config file's path and settings (the secret masked).")
        func run() async throws {
            let path = ConfigFile.path()
            let c = try ConfigFile.load(from: path)
            print("config file: \(path)")
            print("endpoint: \(c.endpoint ?? "-")")
            print("access_key_id: \(c.accessKeyID ?? "-")")
            print("secret_access_key: \(c.secretAccessKey.map { _ in "********" } ?? "-")")
            print("region: \(c.region ?? "-")")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set one setting: endpoint, access_key_id, secret_access_key or region.")
        @Argument var name: String
        @Argument var value: String
        func run() async throws {
            let path = ConfigFile.path()
            var c = try ConfigFile.load(from: path)
            switch name {
            case "endpoint": c.endpoint = value
            case "access_key_id": c.accessKeyID = value
            case "secret_access_key": c.secretAccessKey = value
            case "region": c.region = value
            default: throw ValidationError("unknown setting \(name): endpoint, access_key_id, secret_access_key or region")
            }
            try c.save(to: path)
        }
    }
}
