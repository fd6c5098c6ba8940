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

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a file or directory, sending only the chunks the server lacks.",
        discussion: """
            A file becomes the key PREFIX (or PREFIX + its name when PREFIX is empty or ends with '/'). A directory's \
            files become PREFIX/relative/path. Rerun after an interruption to resume.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transfer: TransferOptions

    @Argument(help: "Local file or directory.")
    var path: String

    @Argument(help: "Destination, s3://BUCKET/PREFIX.")
    var destination: String

    func run() async throws {
        let location: S3Location
        do { location = try S3Location(parsing: destination) } catch { throw ValidationError("\(error)") }
        let progress = Progress(verb: "push", style: Progress.defaultStyle(quiet: transfer.quiet))
        try await runClient(try settingsOrExit(connection), jobs: transfer.jobs) { conn in
            let summary = try await Pusher(remote: Remote(conn), jobs: transfer.jobs, progress: progress).push(path, to: location)
            if transfer.json { print(summary.json()) }
        }
    }
}

struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download an object or a prefix, fetching only chunks missing from the local cache.",
        discussion: """
            If an object's key is exactly PREFIX it is written to PATH (or into PATH when that is a directory); otherwise \
            every object under PREFIX/ is written below PATH. Files appear only complete and verified. Rerun to resume.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transfer: TransferOptions

    @Option(help: "Local chunk cache directory (else CAIRN_CACHE_DIR, else ~/.cache/cairn).")
    var cache: String?

    @Flag(name: .customLong("no-cache"), help: "Do not read or fill the local chunk cache.")
    var noCache = false

    @Argument(help: "Source, s3://BUCKET/PREFIX.")
    var source: String

    @Argument(help: "Local destination path.")
    var path: String

    func run() async throws {
        let location: S3Location
        do { location = try S3Location(parsing: source) } catch { throw ValidationError("\(error)") }
        let env = ProcessInfo.processInfo.environment
        let cacheDirectory: URL? = noCache ? nil : URL(fileURLWithPath: cache ?? env["CAIRN_CACHE_DIR"] ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache/cairn"))
        let progress = Progress(verb: "pull", style: Progress.defaultStyle(quiet: transfer.quiet))
        try await runClient(try settingsOrExit(connection), jobs: transfer.jobs) { conn in
            let puller = try Puller(remote: Remote(conn), jobs: transfer.jobs, progress: progress, cacheDirectory: cacheDirectory)
            let summary = try await puller.pull(location, to: path)
            if transfer.json { print(summary.json()) }
        }
    }
}

func settingsOrExit(_ options: ConnectionOptions) throws -> ClientSettings {
    do { return try options.settings() } catch {
        printError("error: \(error)\n")
        throw ExitCode(1)
    }
}

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

extension ConnectionOptions {
    init(endpoint: String?, accessKeyID: String?, secretAccessKey: String?, region: String?) {
        self.init()
        self.endpoint = endpoint
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
    }
}

struct BenchChunker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-chunker", abstract: "Measure the chunker on pseudo-random data (one core).", shouldDisplay: false)

    @Option(name: .customLong("size-mib")) var sizeMiB = 1024

    func run() throws {
        let size = sizeMiB << 20
        var data = [UInt8](repeating: 0, count: size)
        var state: UInt64 = 0x9E3779B97F4A7C15
        data.withUnsafeMutableBytes { p in
            let words = p.bindMemory(to: UInt64.self)
            for i in 0..<words.count { state ^= state << 13; state ^= state >> 7; state ^= state << 17; words[i] = state }
        }
        let chunker = Chunker(.standard)
        func measure(_ body: (UnsafeRawBufferPointer) -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            data.withUnsafeBytes { body($0) }
            return Double(size) / Double(DispatchTime.now().uptimeNanoseconds - start)
        }
        var chunks = 0
        let cdc = measure { p in
            var offset = 0
            while offset < p.count {
                let n = chunker.nextBoundary(in: UnsafeRawBufferPointer(rebasing: p[offset...]), isFinal: true)!
                offset += n
                chunks += 1
            }
        }
        let withHash = measure { p in
            var offset = 0
            while offset < p.count {
                let n = chunker.nextBoundary(in: UnsafeRawBufferPointer(rebasing: p[offset...]), isFinal: true)!
                _ = Hasher.digest(.sha256, UnsafeRawBufferPointer(rebasing: p[offset..<offset + n]))
                offset += n
            }
        }
        print("{\"bytes\": \(size), \"chunks\": \(chunks), \"gb_per_s\": \(String(format: "%.3f", cdc)), \"gb_per_s_with_sha256\": \(String(format: "%.3f", withHash))}")
    }
}
