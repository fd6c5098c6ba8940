import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The CLI's saved settings (`cairn login` writes them): JSON at `$CAIRN_CONFIG`, else
/// `$XDG_CONFIG_HOME/cairn/config.json`, else `~/.config/cairn/config.json`, mode 0600.
public struct ConfigFile: Codable, Sendable, Equatable {
    public var endpoint: String?
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var region: String?

    enum CodingKeys: String, CodingKey {
        case endpoint, accessKeyID = "access_key_id", secretAccessKey = "secret_access_key", region
    }

    public init(endpoint: String? = nil, accessKeyID: String? = nil, secretAccessKey: String? = nil, region: String? = nil) {
        self.endpoint = endpoint
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
    }

    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["CAIRN_CONFIG"], !p.isEmpty { return p }
        if let x = environment["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/cairn/config.json" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/cairn/config.json"
    }

    public static func load(from path: String) throws -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else { return ConfigFile() }
        do { return try JSONDecoder().decode(ConfigFile.self, from: data) } catch {
            throw ClientError.local("cannot read the config file \(path): \(error)")
        }
    }

    public func save(to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { throw ioError("cannot write the config file", temp) }
        let ok = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count }
        fchmod(fd, 0o600)
        close(fd)
        guard ok, rename(temp, path) == 0 else { throw ioError("cannot write the config file", path) }
    }

    /// Resolves settings: flags, then the environment (`CAIRN_ENDPOINT`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`/`AWS_DEFAULT_REGION`), then this file.
    public func resolve(endpoint: String?, accessKeyID: String?, secretAccessKey: String?, region: String?,
                        environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> ClientSettings {
        func pick(_ flag: String?, _ names: [String], _ saved: String?) -> String? {
            if let flag, !flag.isEmpty { return flag }
            for n in names { if let v = env[n], !v.isEmpty { return v } }
            return saved
        }
        guard let e = pick(endpoint, ["CAIRN_ENDPOINT"], self.endpoint) else {
            throw ClientError.local("no server endpoint: pass --endpoint, set CAIRN_ENDPOINT, or run `cairn login`")
        }
        guard let url = URL(string: e), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
            throw ClientError.local("the endpoint must be an http:// or https:// URL, got \(e)")
        }
        guard let id = pick(accessKeyID, ["AWS_ACCESS_KEY_ID"], self.accessKeyID),
              let secret = pick(secretAccessKey, ["AWS_SECRET_ACCESS_KEY"], self.secretAccessKey) else {
            throw ClientError.local("no credentials: pass --access-key-id/--secret-access-key, set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `cairn login`")
        }
        let r = pick(region, ["AWS_REGION", "AWS_DEFAULT_REGION"], self.region) ?? "us-east-1"
        return ClientSettings(endpoint: url, accessKeyID: id, secretAccessKey: secret, region: r)
    }
}
