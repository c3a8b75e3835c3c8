/// Strict ISO-8601 / RFC 3339 date-times for item starts and list filters,
/// with one canonical spelling per instant.
///
/// Accepted: `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` (`T`/`Z` in either
/// case). A time without a zone is UTC. The fraction may have up to 9
/// digits but the store keeps milliseconds, so digits beyond the third must
/// be zero (otherwise two different instants would share one item). Leap
/// seconds (`:60`) are refused. Canonical form: UTC, `Z`, milliseconds only
/// when not zero — `2024-01-01T00:00:00Z`, `2024-01-01T00:00:00.250Z`.
public enum StartTime {
    /// 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59.999Z in Unix milliseconds.
    public static let range: ClosedRange<Int64> = -62_135_596_800_000 ... 253_402_300_799_999

    /// Unix milliseconds of `s`, or a `KeyError` (`INVALID_<FIELD>`) saying what is wrong.
    public static func parse(_ s: String, field: String) throws(KeyError) -> Int64 {
        let code = "INVALID_" + field.uppercased()
        func fail(_ why: String) -> KeyError {
            KeyError(code, "\(field) must be an ISO-8601 date-time like 2024-01-01T00:00:00Z: \(why)")
        }
        let b = Array(s.utf8)
        if b.isEmpty { throw fail("it is empty") }
        if b.count > 40 { throw fail("it is too long") }
        var i = 0
        func digits(_ n: Int, _ what: String) throws(KeyError) -> Int {
            var v = 0
            for _ in 0..<n {
                guard i < b.count, b[i] >= 48, b[i] <= 57 else { throw fail("\(what) needs \(n) digits") }
                v = v * 10 + Int(b[i] - 48)
                i += 1
            }
            return v
        }
        func expect(_ c: UInt8, _ alt: UInt8? = nil, _ what: String) throws(KeyError) {
            guard i < b.count, b[i] == c || (alt != nil && b[i] == alt!) else { throw fail("'\(what)' expected at position \(i + 1)") }
            i += 1
        }
        let year = try digits(4, "the year")
        try expect(45, nil, "-")
        let month = try digits(2, "the month")
        try expect(45, nil, "-")
        let day = try digits(2, "the day")
        try expect(84, 116, "T")
        let hour = try digits(2, "the hour")
        try expect(58, nil, ":")
        let minute = try digits(2, "the minute")
        try expect(58, nil, ":")
        let second = try digits(2, "the second")
        guard year >= 1 else { throw fail("year 0000 is out of range") }
        guard (1...12).contains(month) else { throw fail("month \(month) is out of range") }
        guard day >= 1, day <= daysIn(month: month, year: year) else { throw fail("day \(day) does not exist in \(year)-\(month < 10 ? "0" : "")\(month)") }
        guard hour < 24 else { throw fail("hour \(hour) is out of range") }
        guard minute < 60 else { throw fail("minute \(minute) is out of range") }
        guard second < 60 else { throw fail(second == 60 ? "leap seconds are not supported" : "second \(second) is out of range") }
        var millis = 0
        if i < b.count && b[i] == 46 {
            i += 1
            let start = i
            while i < b.count && b[i] >= 48 && b[i] <= 57 {
                let d = Int(b[i] - 48)
                let pos = i - start
                if pos < 3 {
                    millis = millis * 10 + d
                } else if d != 0 {
                    throw fail("precision finer than a millisecond is not kept")
                }
                i += 1
            }
            let n = i - start
            if n == 0 { throw fail("digits expected after '.'") }
            if n > 9 { throw fail("at most 9 fraction digits") }
            if n == 1 { millis *= 100 } else if n == 2 { millis *= 10 }
        }
        var offsetMinutes = 0
        if i < b.count {
            if b[i] == 90 || b[i] == 122 {
                i += 1
            } else if b[i] == 43 || b[i] == 45 {
                let sign = b[i] == 43 ? 1 : -1
                i += 1
                let oh = try digits(2, "the zone hour")
                try expect(58, nil, ":")
                let om = try digits(2, "the zone minute")
                guard oh < 24, om < 60 else { throw fail("zone offset out of range") }
                offsetMinutes = sign * (oh * 60 + om)
            } else {
                throw fail("'Z', '+HH:MM' or '-HH:MM' expected at position \(i + 1)")
            }
        }
        guard i == b.count else { throw fail("unexpected characters after the zone") }
        let days = daysFromCivil(year: year, month: month, day: day)
        let secs = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        let result = secs * 1000 + Int64(millis)
        guard range.contains(result) else { throw fail("the instant lies outside years 0001-9999 in UTC") }
        return result
    }

    /// The canonical spelling of `millis` (which must lie in `range`).
    public static func format(_ millis: Int64) -> String {
        let m = min(max(millis, range.lowerBound), range.upperBound)
        let floorDiv = m >= 0 ? m / 86_400_000 : (m - 86_399_999) / 86_400_000
        let msOfDay = Int(m - floorDiv * 86_400_000)
        let (y, mo, d) = civilFromDays(floorDiv)
        let secOfDay = msOfDay / 1000
        let ms = msOfDay % 1000
        var s = pad(y, 4) + "-" + pad(mo, 2) + "-" + pad(d, 2) + "T"
        s += pad(secOfDay / 3600, 2) + ":" + pad(secOfDay / 60 % 60, 2) + ":" + pad(secOfDay % 60, 2)
        if ms != 0 { s += "." + pad(ms, 3) }
        return s + "Z"
    }

    /// Always with milliseconds, for timestamps in listings (`2024-01-01T00:00:00.000Z`).
    public static func formatWithMillis(_ millis: Int64) -> String {
        let s = format(millis)
        return millis % 1000 == 0 ? String(s.dropLast()) + ".000Z" : s
    }

    static func pad(_ v: Int, _ w: Int) -> String {
        let s = String(v)
        return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
