//! Points in time (UTC, whole seconds) and the time formats found in seals, signatures and
//! OFD files (GeneralizedTime per GB/T 38540, UTCTime per GM/T 0031-2014, free text in v1 `timeInfo` and OFD `SignatureDateTime`).

use crate::asn1::{Tlv, tag};

/// A UTC point in time, in seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

/// How a time was written, where that matters for conformance reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeForm {
    /// DER form: `YYYYMMDDHHMMSSZ` / `YYMMDDHHMMSSZ`.
    Canonical,
    /// Fractions, offsets or other forms that are valid BER but not DER.
    NonCanonical,
    /// No zone: read as Beijing time (UTC+8), as Chinese producers mean it.
    ZoneLess,
}

impl Time {
    pub const fn from_unix(secs: i64) -> Self {
        Time(secs)
    }
    pub const fn unix(self) -> i64 {
        self.0
    }
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Time(d.as_secs() as i64)
    }

    /// From a civil UTC date and time; `None` when out of range.
    pub fn from_ymd_hms(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<Self> {
        if !(1..=12).contains(&mo)
            || d == 0
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || s > 60
        {
            return None;
        }
        Some(Time(
            days_from_civil(y, mo, d) * 86400
                + i64::from(h) * 3600
                + i64::from(mi) * 60
                + i64::from(s.min(59)),
        ))
    }

    /// (year, month, day, hour, minute, second) in UTC.
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86400);
        let secs = self.0.rem_euclid(86400);
        let (y, m, d) = civil_from_days(days);
        (
            y,
            m,
            d,
            (secs / 3600) as u32,
            ((secs % 3600) / 60) as u32,
            (secs % 60) as u32,
        )
    }

    pub fn add_seconds(self, s: i64) -> Self {
        Time(self.0.saturating_add(s))
    }
    pub fn add_days(self, d: i64) -> Self {
        self.add_seconds(d.saturating_mul(86400))
    }

    /// ISO 8601: `2026-11-29T01:02:03Z`.
    pub fn to_iso(self) -> String {
        let (y, mo, d, h, mi, s) = self.to_civil();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// GeneralizedTime text in DER form: `20261129010203Z`.
    pub fn to_generalized(self) -> String {
        let (y, mo, d, h, mi, s) = self.to_civil();
        format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z")
    }

    /// UTCTime text: `261129010203Z` (years 1950–2049).
    pub fn to_utc_time(self) -> String {
        let (y, mo, d, h, mi, s) = self.to_civil();
        format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z", y.rem_euclid(100))
    }

    /// DER GeneralizedTime element.
    pub fn to_der_generalized(self) -> Vec<u8> {
        let t = self.to_generalized();
        let mut v = crate::asn1::header(tag::GENERALIZED_TIME, t.len());
        v.extend(t.as_bytes());
        v
    }

    /// DER UTCTime element.
    pub fn to_der_utc(self) -> Vec<u8> {
        let t = self.to_utc_time();
        let mut v = crate::asn1::header(tag::UTC_TIME, t.len());
        v.extend(t.as_bytes());
        v
    }

    /// A GeneralizedTime or UTCTime element, leniently: fractions, offsets, missing `Z`,
    /// and 12-digit UTCTime text inside a GeneralizedTime tag (Suwell files).
    pub fn from_asn1(t: &Tlv<'_>) -> Result<(Self, TimeForm), TimeError> {
        let s =
            std::str::from_utf8(t.content).map_err(|_| TimeError(format!("{:?}", t.content)))?;
        match t.tag {
            tag::GENERALIZED_TIME | tag::UTC_TIME => {
                Self::parse_asn1_text(s, t.tag == tag::UTC_TIME)
            }
            _ => Err(TimeError(format!("tag 0x{:02X} is not a time", t.tag))),
        }
    }

    fn parse_asn1_text(s: &str, utc_time: bool) -> Result<(Self, TimeForm), TimeError> {
        let err = || TimeError(s.to_owned());
        let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (digits, rest) = s.split_at(digits_end);
        let (y, rest_digits) = match (utc_time, digits.len()) {
            (true, 10 | 12) | (false, 10 | 12) => {
                let yy: i64 = digits[..2].parse().map_err(|_| err())?;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
            }
            (false, 14 | 12..) => (digits[..4].parse().map_err(|_| err())?, &digits[4..]),
            _ => return Err(err()),
        };
        let num = |a: usize| {
            rest_digits
                .get(a..a + 2)
                .and_then(|v| v.parse::<u32>().ok())
        };
        let (mo, d, h, mi) = (
            num(0).ok_or_else(err)?,
            num(2).ok_or_else(err)?,
            num(4).ok_or_else(err)?,
            num(6).ok_or_else(err)?,
        );
        let sec = num(8).unwrap_or(0);
        let mut t = Time::from_ymd_hms(y, mo, d, h, mi, sec).ok_or_else(err)?;
        let mut form = if rest_digits.len() == 10 && rest == "Z" {
            TimeForm::Canonical
        } else {
            TimeForm::NonCanonical
        };
        let mut rest = rest;
        if let Some(frac) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(',')) {
            let n = frac
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(frac.len());
            rest = &frac[n..];
            form = TimeForm::NonCanonical;
        }
        match rest {
            "Z" => {}
            "" => {
                t = t.add_seconds(-8 * 3600);
                form = TimeForm::ZoneLess;
            }
            off if (off.starts_with('+') || off.starts_with('-')) && off.len() == 5 => {
                let h: i64 = off[1..3].parse().map_err(|_| err())?;
                let m: i64 = off[3..5].parse().map_err(|_| err())?;
                let secs = h * 3600 + m * 60;
                t = t.add_seconds(if off.starts_with('+') { -secs } else { secs });
                form = TimeForm::NonCanonical;
            }
            _ => return Err(err()),
        }
        Ok((t, form))
    }

    /// Free-form text as found in OFD `SignatureDateTime` and v1 `timeInfo`:
    /// `yyyy-MM-dd HH:mm:ss`, ISO 8601 (`2020-01-25T07:31:56.377Z`), `yyyyMMddHHmmss[Z]`,
    /// `yyyyMMddHHmmss.SSSZ`, `yyMMddHHmmssZ`. Zone-less text is Beijing time.
    pub fn parse_lenient(text: &str) -> Result<(Self, TimeForm), TimeError> {
        let s = text.trim().trim_end_matches('\0');
        if s.chars().take(4).all(|c| c.is_ascii_digit())
            && s.len() >= 19
            && (s.as_bytes()[4] == b'-')
        {
            // yyyy-MM-dd[ T]HH:mm:ss[.fff][Z|+hh:mm]
            let b = s.as_bytes();
            let num = |a: usize, n: usize| s.get(a..a + n).and_then(|v| v.parse::<i64>().ok());
            let err = || TimeError(text.to_owned());
            if b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
                return Err(err());
            }
            let t = Time::from_ymd_hms(
                num(0, 4).ok_or_else(err)?,
                num(5, 2).ok_or_else(err)? as u32,
                num(8, 2).ok_or_else(err)? as u32,
                num(11, 2).ok_or_else(err)? as u32,
                num(14, 2).ok_or_else(err)? as u32,
                num(17, 2).ok_or_else(err)? as u32,
            )
            .ok_or_else(err)?;
            let mut rest = &s[19..];
            if let Some(f) = rest.strip_prefix('.') {
                let n = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
                rest = &f[n..];
            }
            return match rest {
                "Z" | "+00:00" => Ok((t, TimeForm::NonCanonical)),
                "" => Ok((t.add_seconds(-8 * 3600), TimeForm::ZoneLess)),
                off if off.len() == 6
                    && (off.starts_with('+') || off.starts_with('-'))
                    && &off[3..4] == ":" =>
                {
                    let secs = off[1..3].parse::<i64>().map_err(|_| err())? * 3600
                        + off[4..6].parse::<i64>().map_err(|_| err())? * 60;
                    Ok((
                        t.add_seconds(if off.starts_with('+') { -secs } else { secs }),
                        TimeForm::NonCanonical,
                    ))
                }
                _ => Err(err()),
            };
        }
        let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        Self::parse_asn1_text(s, digits == 12 || digits == 10)
    }
}

/// A time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable time {0:?}")]
pub struct TimeError(pub String);

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}
fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
    }
}

// Howard Hinnant's civil-from-days algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        let t = Time::from_ymd_hms(2026, 11, 29, 1, 2, 3).unwrap();
        assert_eq!(t.to_iso(), "2026-11-29T01:02:03Z");
        assert_eq!(t.to_generalized(), "20261129010203Z");
        assert_eq!(Time::from_unix(0).to_iso(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Time::from_ymd_hms(2024, 2, 29, 0, 0, 0)
                .unwrap()
                .to_civil()
                .2,
            29
        );
        assert!(Time::from_ymd_hms(2023, 2, 29, 0, 0, 0).is_none());
    }

    #[test]
    fn lenient_forms() {
        let t = Time::from_ymd_hms(2020, 1, 25, 7, 31, 56).unwrap();
        assert_eq!(
            Time::parse_lenient("2020-01-25T07:31:56.377Z").unwrap().0,
            t
        );
        assert_eq!(
            Time::parse_lenient("20200125073156Z").unwrap(),
            (t, TimeForm::Canonical)
        );
        assert_eq!(Time::parse_lenient("200125073156Z").unwrap().0, t);
        assert_eq!(Time::parse_lenient("20200125073156.123Z").unwrap().0, t);
        assert_eq!(
            Time::parse_lenient("2020-01-25 15:31:56").unwrap(),
            (t, TimeForm::ZoneLess)
        );
        assert_eq!(
            Time::parse_lenient("20200125153156").unwrap(),
            (t, TimeForm::ZoneLess)
        );
        assert!(Time::parse_lenient("yesterday").is_err());
        assert!(Time::parse_lenient("20201325073156Z").is_err());
    }
}
