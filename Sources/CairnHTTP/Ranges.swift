import Foundation
import HTTPTypes

/// The byte range a request's `Range` header asks for (the whole content without one), and the status to
/// answer with; sets `Content-Range` on a 206.
public func requestedRange(_ c: ServiceRequest, size: UInt64, headers: inout HTTPFields) throws -> (Range<UInt64>, HTTPResponse.Status) {
    guard let text = c.header("range"), let r = try parseRange(text, size: size) else { return (0..<size, .ok) }
    headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)"
    return (r, .partialContent)
}

/// Parses a single `bytes=` range. nil means "serve the whole object" (unparseable or multi-range, as S3
/// does); a range that starts beyond the object throws InvalidRange.
public func parseRange(_ text: String, size: UInt64) throws -> Range<UInt64>? {
    let t = text.trimmingCharacters(in: .whitespaces)
    guard t.hasPrefix("bytes="), !t.contains(",") else { return nil }
    let spec = t.dropFirst(6)
    guard let dash = spec.firstIndex(of: "-") else { return nil }
    let first = spec[..<dash].trimmingCharacters(in: .whitespaces), last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
    func invalid() -> ServiceError {
        ServiceError("InvalidRange", .rangeNotSatisfiable, "The requested range is not satisfiable", extra: [("ActualObjectSize", String(size)), ("RangeRequested", text)])
    }
    if first.isEmpty {
        guard let n = UInt64(last) else { return nil }
        guard n > 0, size > 0 else { throw invalid() }
        return (size - min(n, size))..<size
    }
    guard let start = UInt64(first) else { return nil }
    guard start < size else { throw invalid() }
    if last.isEmpty { return start..<size }
    guard let end = UInt64(last), end >= start else { return nil }
    return start..<min(end + 1, size)
}

/// An ETag without quotes or a weak `W/` prefix.
public func unquote(_ etag: String) -> String {
    var s = etag.trimmingCharacters(in: .whitespaces)
    if s.hasPrefix("W/") { s.removeFirst(2) }
    return s.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
}

public func etagList(_ header: String) -> [String] { header.split(separator: ",").map { unquote(String($0)) } }
