import ArgumentParser
import CairnClient

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Save the endpoint and credentials in the config file (after checking them).")

    @Option(help: "Server URL, e.g. http://127.0.0.1:9000.")
    var endpoint: String

    @Option(name: .customLong("access-key-id"), help: "Access key ID.")
    var accessKeyID: String

    @Option(name: .customLong("secret-access-key"), help: "Secret access key.")
    var secretAccessKey: String

    @Option(help: "Region used in signatures.")
    var region: String = "us-east-1"

    @Flag(name: .customLong("no-check"), help: "Save without contacting the server.")
    var noCheck = false

    func run() async throws {
        let config = ConfigFile(endpoint: endpoint, accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, region: region)
        let settings = try settingsOrExit(ConnectionOptions(endpoint: endpoint, accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, region: region))
        if !noCheck {
            try await runClient(settings, jobs: 1) { conn in _ = try await Remote(conn).configuration() }
        }
        let path = ConfigFile.path()
        do { try config.save(to: path) } catch {
            printError("error: \(error)\n")
            throw ExitCode(1)
        }
        print("saved \(path)")
    }
}
