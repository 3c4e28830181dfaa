//! Seals on a key (research note §1.9): no standard names the file, so reading keeps every
//! file that parses as a seal (content decides, not the name); writing uses a configurable
//! name, one seal per file, created with the exact size, written in `MaxBufferSize` chunks and
//! read back.

use super::{FileRights, Result, Token, UkeyError};
use crate::crypto::sm3::sm3;
use crate::ses::Seal;

/// Files larger than this are not read when looking for seals.
pub const MAX_SEAL_FILE: u32 = 64 * 1024;

/// A seal found on a key.
#[derive(Debug, Clone)]
pub struct SealOnKey {
    pub application: String,
    pub file: String,
    pub seal: Seal,
}

/// The default file name for a seal: `prefix` + the first hex digits of SM3(DER), ≤ 32 bytes.
pub fn seal_file_name(prefix: &str, der: &[u8]) -> String {
    let h = hex::encode(sm3(der));
    let room = 32usize.saturating_sub(prefix.len()).min(16);
    format!("{prefix}{}", &h[..room])
}

/// Reads the seals in one application (or all when `app` is `None`). Files that cannot be read
/// (rights, size) or do not parse as seals are skipped.
pub fn read_seals(token: &mut dyn Token, app: Option<&str>) -> Result<Vec<SealOnKey>> {
    let apps = match app {
        Some(a) => vec![a.to_string()],
        None => token.applications()?,
    };
    let mut out = vec![];
    for a in apps {
        let files = match token.files(&a) {
            Ok(f) => f,
            Err(UkeyError::NotSupported(_)) => continue,
            Err(e) => return Err(e),
        };
        for f in files {
            if f.size == 0 || f.size > MAX_SEAL_FILE {
                continue;
            }
            let data = match token.read_file(&a, &f.name) {
                Ok(d) => d,
                Err(UkeyError::NotLoggedIn) => continue,
                Err(e) => return Err(e),
            };
            if data.first() != Some(&0x30) {
                continue;
            }
            if let Ok(seal) = Seal::from_der(&data) {
                out.push(SealOnKey {
                    application: a.clone(),
                    file: f.name.clone(),
                    seal,
                });
            }
        }
    }
    Ok(out)
}

/// Writes a seal (its DER) under `file`, readable by anyone and writable by the user; then
/// reads it back and compares. Needs the user PIN verified when the application requires it.
pub fn write_seal(token: &mut dyn Token, app: &str, file: &str, der: &[u8]) -> Result<()> {
    Seal::from_der(der).map_err(|e| UkeyError::Invalid(format!("not a seal: {e}")))?;
    if let Ok(info) = token.info()
        && (der.len() as u64) > u64::from(info.free_space) + existing_size(token, app, file)
    {
        return Err(UkeyError::NoRoom);
    }
    token.write_file(app, file, der, FileRights::ANYONE, FileRights::USER)?;
    let back = token.read_file(app, file)?;
    if back != der {
        return Err(UkeyError::BadData(format!(
            "file {file:?} read back differs from what was written"
        )));
    }
    Ok(())
}

fn existing_size(token: &mut dyn Token, app: &str, file: &str) -> u64 {
    token
        .files(app)
        .ok()
        .and_then(|fs| fs.into_iter().find(|f| f.name == file))
        .map_or(0, |f| u64::from(f.size))
}
