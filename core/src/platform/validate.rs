//! Input rules: mainland mobile numbers, resident ID numbers (GB 11643-1999), passwords,
//! signing passwords, the pinyin initial used by the staff letter filter.

use super::PlatformError;

fn invalid(msg: impl Into<String>) -> PlatformError {
    PlatformError::InvalidInput(msg.into())
}

/// 11-digit mainland mobile number: `1`, then `3`–`9`, then 9 digits.
pub fn check_phone(phone: &str) -> Result<(), PlatformError> {
    let b = phone.as_bytes();
    if b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
    {
        Ok(())
    } else {
        Err(invalid(format!(
            "'{phone}' is not an 11-digit mainland mobile number"
        )))
    }
}

/// 18-character resident ID number with the GB 11643-1999 ISO 7064 MOD 11-2 check character;
/// a lower-case `x` is accepted and normalised to `X`. Returns the normalised number.
pub fn check_id_number(id: &str) -> Result<String, PlatformError> {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [u8; 11] = *b"10X98765432";
    let norm = id.to_ascii_uppercase();
    let b = norm.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return Err(invalid("ID number must be 17 digits and a check character"));
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    if C[(sum % 11) as usize] != b[17] {
        return Err(invalid("ID number check character is wrong"));
    }
    // birth date YYYYMMDD at 6..14: month and day must be plausible.
    let month: u32 = norm[10..12].parse().unwrap_or(0);
    let day: u32 = norm[12..14].parse().unwrap_or(0);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(invalid("ID number has an impossible birth date"));
    }
    Ok(norm)
}

/// Login password (1.3.1): 8–20 characters, at least two of digits, letters, symbols;
/// symbols are printable ASCII punctuation; other characters (spaces, CJK) are refused.
pub fn check_password(pw: &str) -> Result<(), PlatformError> {
    let n = pw.chars().count();
    if !(8..=20).contains(&n) {
        return Err(invalid("password must be 8 to 20 characters"));
    }
    if !pw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(invalid(
            "password may hold only digits, letters and ASCII symbols",
        ));
    }
    let classes = [
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars().any(|c| c.is_ascii_alphabetic()),
        pw.chars().any(|c| c.is_ascii_punctuation()),
    ];
    if classes.iter().filter(|x| **x).count() < 2 {
        return Err(invalid(
            "password needs at least two of digits, letters and symbols",
        ));
    }
    Ok(())
}

/// Signing password (2.1.2.4): exactly 6 digits.
pub fn check_signing_password(pw: &str) -> Result<(), PlatformError> {
    if pw.len() == 6 && pw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid("signing password must be 6 digits"))
    }
}

/// Initial letter of the surname for the staff letter filter (2.3.4): the pinyin initial of
/// the first Chinese character, or the first ASCII letter upper-cased; `#` otherwise.
pub fn name_initial(name: &str) -> char {
    use pinyin::ToPinyin;
    let Some(c) = name.trim().chars().next() else {
        return '#';
    };
    if c.is_ascii_alphabetic() {
        return c.to_ascii_uppercase();
    }
    match c.to_pinyin() {
        Some(p) => p
            .first_letter()
            .chars()
            .next()
            .map(|l| l.to_ascii_uppercase())
            .unwrap_or('#'),
        None => '#',
    }
}

/// Non-empty, trimmed, bounded text field.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<String, PlatformError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(invalid(format!("{field} is longer than {max} characters")));
    }
    Ok(v.to_owned())
}

/// A plausible e-mail address (one `@`, a dot in the domain, no spaces).
pub fn check_email(email: &str) -> Result<(), PlatformError> {
    let ok = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !d.contains('@')
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("'{email}' is not an e-mail address")))
    }
}

/// 统一社会信用代码 (GB 32100-2015): 18 characters with its check character.
pub fn check_credit_code(code: &str) -> Result<(), PlatformError> {
    const ALPHA: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [usize; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let b = code.as_bytes();
    if b.len() != 18 {
        return Err(invalid("unified social credit code must be 18 characters"));
    }
    let mut sum = 0;
    for (i, c) in b[..17].iter().enumerate() {
        let v = ALPHA
            .iter()
            .position(|a| a == c)
            .ok_or_else(|| invalid("bad character in credit code"))?;
        sum += v * W[i];
    }
    let check = ALPHA[(31 - sum % 31) % 31];
    if b[17] != check {
        return Err(invalid(
            "unified social credit code check character is wrong",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(check_phone("13800138000").is_ok());
        assert!(check_phone("12800138000").is_err());
        assert!(check_phone("1380013800").is_err());
        assert!(check_phone("1380013800a").is_err());
    }

    #[test]
    fn id_numbers() {
        // GB 11643-1999 example 11010519491231002X
        assert_eq!(
            check_id_number("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert!(check_id_number("110105194912310021").is_err());
        assert!(check_id_number("11010519491231002").is_err());
    }

    #[test]
    fn passwords() {
        assert!(check_password("abcdefg1").is_ok());
        assert!(check_password("12345678!").is_ok());
        assert!(check_password("abcdefgh").is_err());
        assert!(check_password("a1").is_err());
        assert!(check_password("a1234567890123456789x").is_err());
        assert!(check_password("密码密码密码12").is_err());
        assert!(check_signing_password("123456").is_ok());
        assert!(check_signing_password("12345a").is_err());
    }

    #[test]
    fn initials_and_codes() {
        assert_eq!(name_initial("王小明"), 'W');
        assert_eq!(name_initial("张三"), 'Z');
        assert_eq!(name_initial("alice"), 'A');
        assert!(check_credit_code("91350100M000100Y43").is_ok());
        assert!(check_credit_code("91350100M000100Y44").is_err());
        assert!(check_email("a@b.cn").is_ok());
        assert!(check_email("a@b").is_err());
    }
}
