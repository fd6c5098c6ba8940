import ArgumentParser
import CairnCore
import CairnAPI
import CairnHTTP
import CairnS3
import CairnStore
import Foundation
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the S3-compatible server.")

    @Option(help: "Data directory (created if missing).")
    var data: String = "./data"

    @Option(help: "Listen address HOST:PORT.")
    var address: String = "127.0.0.1:9000"

    @Option(help: "Region reported to clients and required in signatures.")
    var region: String = "us-east-1"

    @Option(name: .customLong("domain"), help: "Also answer virtual-hosted–style requests to BUCKET.DOMAIN (repeatable).")
    var domains: [String] = []

    @Option(name: .customLong("keys-file"), help: "File with one 'ACCESS_KEY_ID SECRET_ACCESS_KEY [read|write|admin]' per line ('#' comments; the role defaults to admin).")
    var keysFile: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve https.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("session-ttl"), help: "Seconds a dedupe upload session (and the chunks it pins) lives after its last request.")
    var sessionTTL: Int = 86_400

    @Option(name: .customLong("gc-interval"), help: "Run a garbage collection this often (e.g. 24h; 0 for never).")
    var gcInterval: String = "24h"

    @Option(name: .customLong("gc-grace"), help: "Grace period of garbage collection: packs written more recently are left alone.")
    var gcGrace: String = "24h"

    @Option(name: .customLong("upload-max-age"), help: "Garbage collection aborts multipart uploads older than this.")
    var uploadMaxAge: String = "7d"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
        guard sessionTTL > 0 else { throw ValidationError("--session-ttl must be positive") }
        for (flag, value) in [("--gc-interval", gcInterval), ("--gc-grace", gcGrace), ("--upload-max-age", uploadMaxAge)] where parseDuration(value) == nil {
            throw ValidationError("\(flag) is a duration such as 0s, 90s, 15m, 24h or 7d, not \(value)")
        }
        _ = try parseAddress()
    }

    private func parseAddress() throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--address must be HOST:PORT, got \(address)")
        }
        return (String(address[..<colon]), port)
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "cairn")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        var secrets: [String: String] = [:]
        var roles: [String: KeyRole] = [:]
        let env = ProcessInfo.processInfo.environment
        if let id = env["CAIRN_ACCESS_KEY_ID"], let secret = env["CAIRN_SECRET_ACCESS_KEY"], !id.isEmpty, !secret.isEmpty {
            secrets[id] = secret
        }
        if let keysFile {
            let text: String
            do { text = try String(contentsOfFile: keysFile, encoding: .utf8) } catch { throw ValidationError("cannot read \(keysFile): \(error.localizedDescription)") }
            let keys: [Credentials.Key]
            do { keys = try Credentials.parseKeysFile(text) } catch { throw ValidationError("\(keysFile):\(error)") }
            for key in keys {
                secrets[key.id] = key.secret
                roles[key.id] = key.role
            }
        }
        if secrets.isEmpty {
            secrets[devAccessKey] = devSecretKey
            print("""
                No credentials configured (CAIRN_ACCESS_KEY_ID / CAIRN_SECRET_ACCESS_KEY or --keys-file): using dev credentials
                  AWS_ACCESS_KEY_ID=\(devAccessKey)
                  AWS_SECRET_ACCESS_KEY=\(devSecretKey)
                """)
            fflush(nil)  // visible at once even when stdout is a file or a pipe
        }

        let (host, port) = try parseAddress()
        let directory = URL(fileURLWithPath: data)
        let store = try Store.open(directory: directory, sessionTTL: TimeInterval(sessionTTL))
        logger.info("store opened at \(directory.path) (format \(Store.formatVersion), chunks \(store.chunkerParameters.minSize)/\(store.chunkerParameters.averageSize)/\(store.chunkerParameters.maxSize))")
        let configuration = ServerConfiguration(host: host, port: port, region: region, tlsCertificatePath: tlsCert, tlsKeyPath: tlsKey)
        let maintenance = MaintenanceSettings(gcGrace: parseDuration(gcGrace)!, uploadMaxAge: parseDuration(uploadMaxAge)!, gcInterval: parseDuration(gcInterval))
        let authenticator = Authenticator(region: region, credentials: Credentials(secrets, roles: roles))
        let virtualHosts = VirtualHosts(domains)
        let api = APIService(store: store, authenticator: authenticator, virtualHosts: virtualHosts, maintenance: maintenance, logger: logger)
        let s3 = S3Service(store: store, region: region, authenticator: authenticator, virtualHosts: virtualHosts, logger: logger)
        let schedule = Task { await api.runScheduledCollections() }
        defer { schedule.cancel() }
        try await runServer(store: store, apis: [api, s3], configuration: configuration, logger: logger)
    }
}

let devAccessKey = "cairn-dev"
let devSecretKey = "cairn-dev-secret-key"
