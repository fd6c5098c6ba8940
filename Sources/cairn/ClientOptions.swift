import ArgumentParser
import CairnClient
import CairnCore
import Foundation

/// Endpoint and credential flags shared by the client commands.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server URL, e.g. http://127.0.0.1:9000 (else CAIRN_ENDPOINT, else the config file).")
    var endpoint: String?

    @Option(name: .customLong("access-key-id"), help: "Access key ID (else AWS_ACCESS_KEY_ID, else the config file).")
    var accessKeyID: String?

    @Option(name: .customLong("secret-access-key"), help: "Secret access key (else AWS_SECRET_ACCESS_KEY, else the config file).")
    var secretAccessKey: String?

    @Option(help: "Region used in signatures (else AWS_REGION / AWS_DEFAULT_REGION, else the config file, else us-east-1).")
    var region: String?

    func settings() throws -> ClientSettings {
        try ConfigFile.load(from: ConfigFile.path()).resolve(endpoint: endpoint, accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, region: region)
    }
}

/// Output flags shared by push and pull.
struct TransferOptions: ParsableArguments {
    @Flag(help: "Print a JSON summary on stdout at the end.")
    var json = false

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(help: "Requests in flight at once.")
    var jobs: Int = 4

    func validate() throws {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
    }
}

/// Runs a client operation: prints `error: …` and exits 1 on failure, closes the connection either way.
func runClient(_ settings: ClientSettings, jobs: Int, _ body: (Connection) async throws -> Void) async throws {
    let connection = Connection(settings: settings, connections: jobs + 2)
    do {
        try await body(connection)
        await connection.shutdown()
    } catch let error as ClientError {
        await connection.shutdown()
        printError("error: \(error)\n")
        throw ExitCode(1)
    }
}

func settingsOrExit(_ options: ConnectionOptions) throws -> ClientSettings {
    do { return try options.settings() } catch {
        printError("error: \(error)\n")
        throw ExitCode(1)
    }
}

extension ConnectionOptions {
    init(endpoint: String?, accessKeyID: String?, secretAccessKey: String?, region: String?) {
        self.init()
        self.endpoint = endpoint
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
    }
}
