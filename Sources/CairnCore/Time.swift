import Foundation

// Every text form of a time or a duration Cairn reads or writes, in one place and without
// `DateFormatter` (not Sendable, and a formatter made per call costs more than a small request).
// All times are UTC.

/// RFC 7231 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": `Last-Modified`, conditional headers, SigV4's `Date`.
public enum HTTPDate {
    public static func format(_ date: Date) -> String {
        let t = CivilTime(date)
        return "\(weekdays[t.weekday]), \(pad(t.day, 2)) \(months[Int(t.month) - 1]) \(t.year) \(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)) GMT"
    }

    /// Parses an IMF-fixdate (the weekday is not checked; `GMT` or `UTC`); nil for anything else or an
    /// impossible date such as 30 Feb.
    public static func parse(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 6, parts[5] == "GMT" || parts[5] == "UTC",
              let day = Int64(parts[1]), let month = months.firstIndex(of: String(parts[2])), let year = Int64(parts[3]) else { return nil }
        let hms = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard hms.count == 3, let h = Int64(hms[0]), let m = Int64(hms[1]), let s = Int64(hms[2]) else { return nil }
        return CivilTime.date(year, Int64(month + 1), day, h, m, s)
    }

    static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}

/// ISO 8601 / RFC 3339: "2026-11-27T03:20:58.123Z" (S3 XML, the JSON APIs).
public enum ISO8601Time {
    /// With milliseconds (truncated) unless `milliseconds` is false.
    public static func format(_ date: Date, milliseconds: Bool = true) -> String {
        let t = CivilTime(date)
        let base = "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))T\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2))"
        return milliseconds ? base + ".\(pad(t.millisecond, 3))Z" : base + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or an offset (`+02:00`, `-0500`); nil otherwise.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let y = digits(b, 0..<4), let mo = digits(b, 5..<7), let d = digits(b, 8..<10),
              let h = digits(b, 11..<13), let mi = digits(b, 14..<16), let s = digits(b, 17..<19),
              let base = CivilTime.date(y, mo, d, h, mi, s) else { return nil }
        var i = 19
        var ms: Int64 = 0
        if b[i] == UInt8(ascii: ".") {
            // Whole milliseconds, as records store them: a time sent back finds exactly what it names.
            i += 1
            let start = i
            while i < b.count, let v = digit(b[i]) {
                if i - start < 3 { ms = ms * 10 + v }
                i += 1
            }
            guard i > start, i < b.count else { return nil }
            for _ in min(i - start, 3)..<3 { ms *= 10 }
        }
        var offset: Int64 = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
            let rest = Array(b[(i + 1)...])
            let hhmm: [UInt8] = rest.count == 5 && rest[2] == UInt8(ascii: ":") ? Array(rest[0..<2] + rest[3..<5]) : rest
            guard hhmm.count == 4, let oh = digits(hhmm, 0..<2), let om = digits(hhmm, 2..<4), oh <= 23, om <= 59 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
            i = b.count
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = Int64(base.timeIntervalSince1970) - offset
        return Date(timeIntervalSince1970: Double(seconds * 1000 + ms) / 1000)
    }
}

/// SigV4's "yyyyMMdd'T'HHmmss'Z'" (`x-amz-date`, `X-Amz-Date`).
public enum AMZDate {
    public static func format(_ date: Date) -> String {
        let t = CivilTime(date)
        return pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2) + "T" + pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2) + "Z"
    }

    /// nil when malformed or out of range.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z"),
              let y = digits(b, 0..<4), let mo = digits(b, 4..<6), let d = digits(b, 6..<8), let h = digits(b, 9..<11),
              let mi = digits(b, 11..<13), let s = digits(b, 13..<15) else { return nil }
        return CivilTime.date(y, mo, d, h, mi, s)
    }
}

/// `0s`, `90s`, `15m`, `24h`, `7d`, or plain seconds; nil for anything else (negative included).
public func parseDuration(_ text: String) -> TimeInterval? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
    if let last = text.last, let unit = units[last], let n = Double(text.dropLast()), n >= 0 { return n * unit }
    if let n = Double(text), n >= 0 { return n }
    return nil
}

// MARK: - Calendar

/// A UTC date split into fields, by Howard Hinnant's civil-calendar algorithms (no libc, no locale).
struct CivilTime {
    var year, month, day, hour, minute, second, millisecond: Int64
    /// 0 = Thursday (1970-01-01), as `HTTPDate.weekdays` counts.
    var weekday: Int

    init(_ date: Date) {
        // The small nudge keeps a time made of whole milliseconds (what records store) from printing one
        // millisecond early when its binary fraction falls just below the boundary.
        let ms = Int64((date.timeIntervalSince1970 * 1000 + 1e-3).rounded(.down))
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        millisecond = ms - seconds * 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        (year, month, day) = Self.civil(fromDays: days)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        weekday = Int(((days % 7) + 7) % 7)
    }

    /// nil for fields out of range or a day the month lacks.
    static func date(_ y: Int64, _ mo: Int64, _ d: Int64, _ h: Int64, _ mi: Int64, _ s: Int64) -> Date? {
        guard (1...12).contains(mo), (1...31).contains(d), (0...23).contains(h), (0...59).contains(mi), (0...60).contains(s) else { return nil }
        let days = days(fromCivil: y, mo, d)
        guard civil(fromDays: days) == (y, mo, d) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + h * 3600 + mi * 60 + s))
    }

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

private func digit(_ c: UInt8) -> Int64? { c >= 0x30 && c <= 0x39 ? Int64(c - 0x30) : nil }

private func digits(_ b: [UInt8], _ range: Range<Int>) -> Int64? {
    var v: Int64 = 0
    for i in range {
        guard let d = digit(b[i]) else { return nil }
        v = v * 10 + d
    }
    return v
}
