import Foundation

/// What a key may do. `read` fetches and queries (GET, HEAD, and fetching chunks); `write` also uploads,
/// deletes and registers; `admin` also moves protected aliases, changes protection and runs maintenance.
public enum KeyRole: String, Sendable, CaseIterable {
    case read, write, admin
}

/// Access keys the server accepts: access key ID → secret, and each key's role (`admin` when not given).
public struct Credentials: Sendable {
    public var secrets: [String: String]
    public var roles: [String: KeyRole]

    public init(_ secrets: [String: String], roles: [String: KeyRole] = [:]) {
        self.secrets = secrets
        self.roles = roles
    }

    public struct Key: Sendable, Equatable {
        public var id: String
        public var secret: String
        public var role: KeyRole
    }

    public struct KeysFileError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "\(line): \(message)" }
    }

    /// Parses `ACCESS_KEY_ID SECRET_ACCESS_KEY [read|write|admin]` lines; blank lines and `#` comments are skipped.
    public static func parseKeysFile(_ text: String) throws -> [Key] {
        var keys: [Key] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 || fields.count == 3 else {
                throw KeysFileError(line: n + 1, message: "expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY [read|write|admin]'")
            }
            guard let role = fields.count == 3 ? KeyRole(rawValue: fields[2]) : .admin else {
                throw KeysFileError(line: n + 1, message: "the role is read, write or admin, not \(fields[2])")
            }
            keys.append(Key(id: fields[0], secret: fields[1], role: role))
        }
        return keys
    }
}
