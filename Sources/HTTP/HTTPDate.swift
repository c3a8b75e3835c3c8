import Glibc

/// HTTP dates (RFC 9110 §5.6.7): formats the `Date` header (cached per
/// second) and parses the IMF-fixdate that conditional requests carry.
///
/// Parsing is pure arithmetic over bounded fields (year 1900–9999, day 1 to
/// the month's length, 00:00:00–23:59:60), so no value from a header can
/// overflow; anything else is `nil`, which callers treat as an invalid date:
/// the conditional it came in is ignored (RFC 9110 §13.1.3, §13.1.4), and an
/// `If-Range` date then never matches (§13.1.5: the whole body is sent).
struct HTTPDate {
    private var lastSecond: Int = -1
    private var cached = ""

    mutating func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let s = Int(ts.tv_sec)
        if s != lastSecond {
            lastSecond = s
            cached = HTTPDate.format(epochSeconds: s)
        }
        return cached
    }

    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate for a Unix time, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    public static func format(epochSeconds: Int) -> String {
        var t = time_t(epochSeconds)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(tmv.tm_wday)]), \(two(tmv.tm_mday)) \(months[Int(tmv.tm_mon)]) \(tmv.tm_year + 1900) \(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec)) GMT"
    }

    /// The year range a parsed date may have (4-digit years from 1900).
    static let years: ClosedRange<Int> = 1900...9999

    /// Parses IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, into Unix
    /// seconds; nil for any other form or an out-of-range field.
    public static func parse(_ s: String) -> Int? {
        let parts = s.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[5] == "GMT", parts[0].count == 4, parts[0].last == ",",
              days.contains(String(parts[0].dropLast())),
              let day = digits(parts[1], count: 2),
              let monIndex = months.firstIndex(of: String(parts[2])),
              let year = digits(parts[3], count: 4), years.contains(year) else { return nil }
        let hms = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard hms.count == 3, let h = digits(hms[0], count: 2), let m = digits(hms[1], count: 2),
              let sec = digits(hms[2], count: 2), h <= 23, m <= 59, sec <= 60 else { return nil }
        let month = monIndex + 1
        guard day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + h * 3600 + m * 60 + sec
    }

    /// Exactly `count` ASCII digits (at most 4, so the value is small).
    static func digits(_ s: Substring, count: Int) -> Int? {
        guard s.utf8.count == count else { return nil }
        var v = 0
        for c in s.utf8 {
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
    /// `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// The public face of `HTTPDate` for other modules (record stores).
public enum HTTPDates {
    public static func format(epochSeconds: Int) -> String { HTTPDate.format(epochSeconds: epochSeconds) }
    public static func parse(_ s: String) -> Int? { HTTPDate.parse(s) }
}
