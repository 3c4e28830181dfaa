//! Configuration: a TOML file (`--config FILE` or `ESEAL_CONFIG`), then environment variables
//! `ESEAL_*` over it, then defaults. `eseal-server.sample.toml` documents every key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{key}: {why}")]
    Invalid { key: &'static str, why: String },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on (default 127.0.0.1:8080).
    pub listen: SocketAddr,
    /// `sqlite://PATH` (relative to the data dir when not absolute) or `postgres://…`.
    pub database_url: String,
    /// PostgreSQL schema holding the tables.
    pub database_schema: String,
    /// Connections in the PostgreSQL pool.
    pub database_pool: usize,
    /// Where documents, previews and the SQLite file live (created on start).
    pub data_dir: PathBuf,
    /// Public base URL of this server (QR codes point to `{public_url}/verify/{id}`).
    pub public_url: Option<String>,
    /// Key-vault master key: 32 hex characters (SM4, 128 bits); encrypts the server-held keys
    /// (units' server certificates, cloud seals) at rest. Not in the database.
    pub vault_master_key: Option<String>,
    /// Key of the audit chains' HMAC-SM3: 64 hex characters. Not in the database.
    pub audit_mac_key: Option<String>,
    /// Seed of the development CA that issues cloud-seal and demo UKey certificates and makes
    /// seals. A deployment replaces it with its CA (see README).
    pub ca_seed: String,
    /// Extra trust anchors (PEM/DER files) for verification and UKey logins.
    pub trust_anchors: Vec<PathBuf>,
    pub tls: Option<TlsConfig>,
    pub sms: SmsConfig,
    pub limits: Limits,
    pub session: SessionConfig,
    /// The operations back office accounts (CA review, app review, switches).
    pub operators: Vec<OperatorConfig>,
    /// Path of `pdftoppm` (poppler) for PDF page previews.
    pub pdftoppm: PathBuf,
    /// A folder of static files (the web portal) served at `/` beside the API.
    pub web_dir: Option<PathBuf>,
    pub open_api: OpenApiConfig,
    pub dev: DevConfig,
}

/// The open API for business systems (`/open/v1`, issue 14).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenApiConfig {
    /// Accepted clock difference of a request's timestamp (milliseconds), default ±5 minutes.
    pub timestamp_window_ms: i64,
    /// Documents up to this size are signed within the request; larger ones become a task
    /// (202), default 1 MiB.
    pub sync_max_bytes: u64,
    /// How often the worker looks for due tasks and webhook deliveries (milliseconds).
    pub worker_interval_ms: u64,
    /// Timeout of one webhook delivery (seconds).
    pub webhook_timeout_secs: u64,
    /// First retry of a failed delivery after this many seconds, doubled after each failure.
    pub webhook_retry_first_secs: i64,
    /// Longest delay between two attempts (seconds).
    pub webhook_retry_max_secs: i64,
    /// Failed attempts in a row before an event is given up (until redelivered by hand).
    pub webhook_max_attempts: u32,
    /// PEM file of the roots trusted for `https://` callbacks (default: the system's bundle,
    /// `SSL_CERT_FILE` or `/etc/ssl/certs/ca-certificates.crt`).
    pub webhook_ca_file: Option<PathBuf>,
}

impl Default for OpenApiConfig {
    fn default() -> Self {
        OpenApiConfig {
            timestamp_window_ms: eseal::platform::openapi::TIMESTAMP_WINDOW_MS,
            sync_max_bytes: 1024 * 1024,
            worker_interval_ms: 500,
            webhook_timeout_secs: 10,
            webhook_retry_first_secs: eseal::platform::RetryPolicy::default().first_secs,
            webhook_retry_max_secs: eseal::platform::RetryPolicy::default().max_secs,
            webhook_max_attempts: eseal::platform::RetryPolicy::default().max_attempts,
            webhook_ca_file: None,
        }
    }
}

/// Development aids: never turn these on in a deployment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevConfig {
    /// Tell captcha answers at `GET /api/v1/dev/captcha/{id}` (automated tests of the SMS
    /// sign-in; a person reads the picture).
    pub captcha_answers: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    /// `dev`: messages go to the log (and, for development, to `GET /api/v1/dev/sms`).
    pub sender: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest upload (bytes), default 100 MB.
    pub upload_bytes: u64,
    /// Largest JSON body (bytes).
    pub json_bytes: usize,
    /// Longest a request may take (seconds): uploads of the largest files and signings.
    pub long_request_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Session lifetime (seconds), default 8 hours.
    pub ttl_secs: i64,
    /// Send the cookie with `Secure` (default: when TLS is on).
    pub secure_cookie: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    pub name: String,
    pub password: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://eseal.db".into(),
            database_schema: "eseal".into(),
            database_pool: 8,
            data_dir: PathBuf::from("eseal-data"),
            public_url: None,
            vault_master_key: None,
            audit_mac_key: None,
            ca_seed: "eseal-server-dev".into(),
            trust_anchors: vec![],
            tls: None,
            sms: SmsConfig::default(),
            limits: Limits::default(),
            session: SessionConfig::default(),
            operators: vec![],
            pdftoppm: PathBuf::from("pdftoppm"),
            web_dir: None,
            open_api: OpenApiConfig::default(),
            dev: DevConfig::default(),
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            sender: "dev".into(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            upload_bytes: 100 * 1024 * 1024,
            json_bytes: 2 * 1024 * 1024,
            long_request_timeout_secs: 600,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            ttl_secs: 8 * 3600,
            secure_cookie: None,
        }
    }
}

/// The database named by `database_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Config {
    /// Reads `path` (if given), then applies the environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut c = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: p.to_owned(),
                    source,
                })?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        c.check()?;
        Ok(c)
    }

    /// `ESEAL_LISTEN`, `ESEAL_DATABASE_URL`, `ESEAL_DATABASE_SCHEMA`, `ESEAL_DATA_DIR`, `ESEAL_PUBLIC_URL`,
    /// `ESEAL_VAULT_MASTER_KEY`, `ESEAL_AUDIT_MAC_KEY`, `ESEAL_CA_SEED`, `ESEAL_TRUST_ANCHORS` (`:`-separated),
    /// `ESEAL_TLS_CERT` + `ESEAL_TLS_KEY` (PEM files), `ESEAL_WEB_DIR`,
    /// `ESEAL_SMS_SENDER`, `ESEAL_UPLOAD_LIMIT` (bytes), `ESEAL_OPERATOR` (`name:password`),
    /// `ESEAL_SESSION_TTL` (seconds), `ESEAL_DEV_CAPTCHA_ANSWERS` (`1`: development only),
    /// `ESEAL_OPEN_SYNC_MAX_BYTES`, `ESEAL_OPEN_WORKER_INTERVAL_MS`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("ESEAL_LISTEN") {
            self.listen = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_LISTEN",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("ESEAL_DATABASE_SCHEMA") {
            self.database_schema = v;
        }
        if let Some(v) = get("ESEAL_SESSION_TTL") {
            self.session.ttl_secs = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_SESSION_TTL",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_OPEN_SYNC_MAX_BYTES") {
            self.open_api.sync_max_bytes = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_OPEN_SYNC_MAX_BYTES",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_OPEN_WORKER_INTERVAL_MS") {
            self.open_api.worker_interval_ms = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_OPEN_WORKER_INTERVAL_MS",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_OPEN_WEBHOOK_TIMEOUT_SECS") {
            self.open_api.webhook_timeout_secs = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_OPEN_WEBHOOK_TIMEOUT_SECS",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_OPEN_WEBHOOK_RETRY_FIRST_SECS") {
            self.open_api.webhook_retry_first_secs =
                v.parse().map_err(|e| ConfigError::Invalid {
                    key: "ESEAL_OPEN_WEBHOOK_RETRY_FIRST_SECS",
                    why: format!("{v:?}: {e}"),
                })?;
        }
        if let Some(v) = get("ESEAL_OPEN_WEBHOOK_RETRY_MAX_SECS") {
            self.open_api.webhook_retry_max_secs = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_OPEN_WEBHOOK_RETRY_MAX_SECS",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_OPEN_WEBHOOK_MAX_ATTEMPTS") {
            self.open_api.webhook_max_attempts = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_OPEN_WEBHOOK_MAX_ATTEMPTS",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_OPEN_WEBHOOK_CA_FILE") {
            self.open_api.webhook_ca_file = Some(v.into());
        }
        if let Some(v) = get("ESEAL_DEV_CAPTCHA_ANSWERS") {
            self.dev.captcha_answers = v == "1" || v == "true";
        }
        if let Some(v) = get("ESEAL_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("ESEAL_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("ESEAL_VAULT_MASTER_KEY") {
            self.vault_master_key = Some(v);
        }
        if let Some(v) = get("ESEAL_AUDIT_MAC_KEY") {
            self.audit_mac_key = Some(v);
        }
        if let Some(v) = get("ESEAL_CA_SEED") {
            self.ca_seed = v;
        }
        if let Some(v) = get("ESEAL_TRUST_ANCHORS") {
            self.trust_anchors = v
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
        }
        if let Some(v) = get("ESEAL_WEB_DIR") {
            self.web_dir = Some(v.into());
        }
        if let Some(v) = get("ESEAL_SMS_SENDER") {
            self.sms.sender = v;
        }
        match (get("ESEAL_TLS_CERT"), get("ESEAL_TLS_KEY")) {
            (Some(cert), Some(key)) => {
                self.tls = Some(TlsConfig {
                    cert: cert.into(),
                    key: key.into(),
                })
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError::Invalid {
                    key: "ESEAL_TLS_CERT",
                    why: "give both ESEAL_TLS_CERT and ESEAL_TLS_KEY".into(),
                });
            }
        }
        if let Some(v) = get("ESEAL_UPLOAD_LIMIT") {
            self.limits.upload_bytes = v.parse().map_err(|e| ConfigError::Invalid {
                key: "ESEAL_UPLOAD_LIMIT",
                why: format!("{v:?}: {e}"),
            })?;
        }
        if let Some(v) = get("ESEAL_OPERATOR") {
            let (name, password) = v.split_once(':').ok_or(ConfigError::Invalid {
                key: "ESEAL_OPERATOR",
                why: "expected name:password".into(),
            })?;
            self.operators.push(OperatorConfig {
                name: name.into(),
                password: password.into(),
            });
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        self.database()?;
        if self.sms.sender != "dev" {
            return Err(ConfigError::Invalid {
                key: "sms.sender",
                why: format!(
                    "{:?}: only the development sender (\"dev\") is built in; a gateway implements eseal::platform::SmsSender",
                    self.sms.sender
                ),
            });
        }
        if let Some(k) = &self.vault_master_key {
            secret_key("vault_master_key", k, VAULT_KEY_LEN)?;
        }
        if let Some(k) = &self.audit_mac_key {
            secret_key("audit_mac_key", k, AUDIT_KEY_LEN)?;
        }
        if self.limits.upload_bytes == 0 {
            return Err(ConfigError::Invalid {
                key: "limits.upload_bytes",
                why: "must be positive".into(),
            });
        }
        Ok(())
    }

    /// The database to open.
    pub fn database(&self) -> Result<Database, ConfigError> {
        let u = &self.database_url;
        if let Some(p) = u.strip_prefix("sqlite://") {
            let p = PathBuf::from(p);
            Ok(Database::Sqlite(if p.is_absolute() {
                p
            } else {
                self.data_dir.join(p)
            }))
        } else if u.starts_with("postgres://") || u.starts_with("postgresql://") {
            Ok(Database::Postgres(u.clone()))
        } else {
            Err(ConfigError::Invalid {
                key: "database_url",
                why: format!("{u:?} is neither sqlite://PATH nor postgres://…"),
            })
        }
    }

    /// The base URL QR codes and links use.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!(
                "{}://{}",
                if self.tls.is_some() { "https" } else { "http" },
                self.listen
            ),
        }
    }
}

/// Bytes of the vault master key (SM4).
pub const VAULT_KEY_LEN: usize = eseal::platform::vault::MASTER_KEY_LEN;
/// Bytes of the audit MAC key.
pub const AUDIT_KEY_LEN: usize = 32;

/// Decodes a secret key given as hex of exactly `len` bytes.
pub fn secret_key(name: &'static str, hex_key: &str, len: usize) -> Result<Vec<u8>, ConfigError> {
    let bad = |why: String| ConfigError::Invalid { key: name, why };
    let v = hex::decode(hex_key.trim()).map_err(|_| bad("not hex".into()))?;
    if v.len() != len {
        return Err(bad(format!("must be {} hex characters", 2 * len)));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let mut c: Config = toml::from_str(
            "listen = \"0.0.0.0:9000\"\ndatabase_url = \"sqlite://x.db\"\n[limits]\nupload_bytes = 10\n",
        )
        .unwrap();
        assert_eq!(c.limits.upload_bytes, 10);
        c.apply_env(|k| match k {
            "ESEAL_DATABASE_URL" => Some("postgres://u@h/db".into()),
            "ESEAL_OPERATOR" => Some("ops:secret".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            c.database().unwrap(),
            Database::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(c.operators[0].name, "ops");
        assert_eq!(c.listen.port(), 9000);
        assert!(
            toml::from_str::<Config>("lisen = 1").is_err(),
            "unknown keys are refused"
        );
        c.database_url = "mysql://x".into();
        assert!(c.database().is_err());
    }

    #[test]
    fn secret_keys_are_hex_of_their_length() {
        assert!(secret_key("k", &"ab".repeat(16), 16).is_ok());
        assert!(secret_key("k", "abcd", 16).is_err());
        assert!(secret_key("k", &"zz".repeat(16), 16).is_err());
    }
}

#[cfg(test)]
mod sample_file {
    #[test]
    fn the_sample_configuration_parses() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eseal-server.sample.toml");
        let c = super::Config::load(Some(&p)).expect("sample config");
        assert_eq!(c.listen.port(), 8080);
        assert_eq!(c.limits.upload_bytes, 100 * 1024 * 1024);
    }
}
