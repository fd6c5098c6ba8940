import CairnCore
import Foundation
import Testing

@Suite struct TimeTests {
    private let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    @Test func amzDates() {
        #expect(AMZDate.parse("20130524T000000Z") == s3Date)
        #expect(AMZDate.parse("20150830T123600Z")?.timeIntervalSince1970 == 1_440_938_160)
        #expect(AMZDate.format(s3Date) == "20130524T000000Z")
        #expect(AMZDate.format(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(AMZDate.format(Date(timeIntervalSince1970: 1_709_164_800.75)) == "20240229T000000Z")
        #expect(AMZDate.format(Date(timeIntervalSince1970: 4_102_444_799)) == "20991231T235959Z")
        #expect(AMZDate.parse("20240229T000000Z")?.timeIntervalSince1970 == 1_709_164_800)
        #expect(AMZDate.parse("20230229T000000Z") == nil)
        #expect(AMZDate.parse("20230101T240000Z") == nil)
        #expect(AMZDate.parse("2023-01-01T00:00:00Z") == nil)
        #expect(AMZDate.parse("20230101T000000") == nil)
    }

    @Test func httpDates() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: -86_400)) == "Wed, 31 Dec 1969 00:00:00 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
        #expect(HTTPDate.parse("Fri, 24 May 2013 00:00:00 GMT") == s3Date)
        #expect(HTTPDate.parse("Fri, 24 Foo 2013 00:00:00 GMT") == nil)
        #expect(HTTPDate.parse("Sat, 30 Feb 2013 00:00:00 GMT") == nil)
        #expect(HTTPDate.parse("not a date") == nil)
    }

    @Test func iso8601() {
        #expect(ISO8601Time.format(Date(timeIntervalSince1970: 1_255_369_830.5)) == "2009-10-12T17:50:30.500Z")
        #expect(ISO8601Time.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(ISO8601Time.format(Date(timeIntervalSince1970: 1_795_749_860.2289)) == "2026-11-27T03:24:20.228Z")
        #expect(ISO8601Time.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(ISO8601Time.format(Date(timeIntervalSince1970: 1_795_749_860.2289), milliseconds: false) == "2026-11-27T03:24:20Z")
        #expect(ISO8601Time.parse("2026-03-03T12:00:00Z")?.timeIntervalSince1970 == 1_772_539_200)
        #expect(ISO8601Time.parse("2026-03-03T14:00:00+02:00")?.timeIntervalSince1970 == 1_772_539_200)
        #expect(ISO8601Time.parse("2026-03-03T07:00:00-0500")?.timeIntervalSince1970 == 1_772_539_200)
        #expect(ISO8601Time.parse("2026-03-03T12:00:00.25Z")?.timeIntervalSince1970 == 1_772_539_200.25)
        for bad in ["2026-03-03", "2026-03-03T12:00:00", "2026-02-30T12:00:00Z", "2026-03-03T12:00:00.Z", "2026-03-03T12:00:00+2", "x"] {
            #expect(ISO8601Time.parse(bad) == nil, "\(bad)")
        }
    }

    /// Records store whole milliseconds; a stored time printed and read back is the same `Date`, so that
    /// `?at=<a move's own time>` finds that move.
    @Test func millisecondTimesRoundTripExactly() {
        for ms in stride(from: UInt64(1_700_000_000_000), to: 1_700_000_000_000 + 5_000, by: 7) {
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            #expect(ISO8601Time.parse(ISO8601Time.format(date)) == date)
        }
    }

    @Test func durations() {
        #expect(parseDuration("0s") == 0)
        #expect(parseDuration("90s") == 90)
        #expect(parseDuration("15m") == 900)
        #expect(parseDuration("24h") == 86_400)
        #expect(parseDuration("7d") == 604_800)
        #expect(parseDuration("42") == 42)
        #expect(parseDuration("-1s") == nil)
        #expect(parseDuration("1w") == nil)
        #expect(parseDuration("") == nil)
    }
}
