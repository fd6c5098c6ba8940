import CairnCore
import Foundation

/// How the JSON API's values are written and read, on both sides: keys sorted, times as ISO 8601 with
/// milliseconds (what records store, so a time sent back as `?at=` finds exactly what it names).
public enum WireJSON {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(ISO8601Time.format(date))
        }
        return try encoder.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = ISO8601Time.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return try decoder.decode(type, from: data)
    }
}

/// A JSON error answer: `{"error": {"code", "message"[, "missing"]}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        /// For `MissingChunks`: the hex digests the store lacks (at most 1000).
        public var missing: [String]?

        public init(code: String, message: String, missing: [String]? = nil) {
            self.code = code
            self.message = message
            self.missing = missing
        }
    }

    public var error: Detail

    public init(_ error: Detail) { self.error = error }
}
