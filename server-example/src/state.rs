//! The shared state of every request: configuration, the platform over its store, the
//! server's own store, the development CA, trust anchors and the document folder.

use std::path::PathBuf;
use std::sync::Arc;

use eseal::crypto::TrustStore;
use eseal::crypto::testca::TestCa;
use eseal::platform::{Clock, KeyVault, Platform, SmsSender, Store, SystemClock};

use crate::config::{Config, Database};
use crate::error::{ApiError, ApiResult};
use crate::kv::{KvEntry, ServerStore, ns};
use crate::vault::DbKeyVault;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Store(#[from] eseal::platform::StoreError),
    #[error("development CA: {0}")]
    Ca(#[from] eseal::crypto::CryptoError),
    #[error("trust anchors: {0}")]
    Trust(String),
    #[error("vault master key file {path}: {why}")]
    MasterKey { path: PathBuf, why: String },
}

pub struct Inner {
    pub cfg: Config,
    pub platform: Platform,
    pub db: Arc<dyn ServerStore>,
    pub clock: Arc<dyn Clock>,
    /// The platform's CA (development: deterministic from `ca_seed`): issues cloud-seal
    /// certificates, makes GB/T 38540 seals (its unit identity is the seal maker).
    pub ca: TestCa,
    /// Trust anchors of verification and UKey logins: the CA root plus the configured ones.
    pub trust: TrustStore,
    /// Where uploaded and signed documents live.
    pub docs_dir: PathBuf,
}

/// Cheap to clone; handed to every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The development SMS sender: every message goes to the log, and is kept one hour for
/// `GET /api/v1/dev/sms` (in the database, so any server process shows it).
pub struct DevSms {
    db: Arc<dyn ServerStore>,
    clock: Arc<dyn Clock>,
}

impl SmsSender for DevSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), String> {
        tracing::info!(target: "eseal_server::sms", phone, text, "SMS (development sender)");
        let now = self.clock.now();
        let id = format!("{now:012}-{}", crate::random_hex(6).map_err(|e| e.detail)?);
        self.db
            .kv_put(
                ns::DEV_SMS,
                &KvEntry {
                    id,
                    owner: phone.to_owned(),
                    body: serde_json::json!({ "phone": phone, "text": text, "time": now })
                        .to_string(),
                    expires: Some(now + 3600),
                },
            )
            .map_err(|e| e.to_string())
    }
}

fn make_dir(p: &std::path::Path) -> Result<(), StartError> {
    std::fs::create_dir_all(p).map_err(|source| StartError::DataDir {
        path: p.to_owned(),
        source,
    })
}

/// The vault master key: configured, or (development) kept in `data_dir/vault-master.key`,
/// made on first start.
fn master_key(cfg: &Config) -> Result<[u8; 32], StartError> {
    if let Some(k) = &cfg.vault_master_key {
        return Ok(crate::config::master_key(k)?);
    }
    let path = cfg.data_dir.join("vault-master.key");
    let err = |why: String| StartError::MasterKey {
        path: path.clone(),
        why,
    };
    match std::fs::read_to_string(&path) {
        Ok(t) => crate::config::master_key(&t).map_err(|e| err(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut k = [0u8; 32];
            getrandom::fill(&mut k).map_err(|e| err(e.to_string()))?;
            eseal::fs::write_atomic(&path, &[hex::encode(k).as_bytes()])
                .map_err(|e| err(e.to_string()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(e.to_string()))?;
            }
            tracing::warn!(path = %path.display(), "no vault_master_key configured: made one for development");
            Ok(k)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

impl AppState {
    /// Opens (creating and migrating) the database and the data directory.
    pub fn open(cfg: Config) -> Result<AppState, StartError> {
        make_dir(&cfg.data_dir)?;
        let docs_dir = cfg.data_dir.join("documents");
        make_dir(&docs_dir)?;
        crate::documents::sweep(
            &docs_dir,
            std::time::Duration::from_secs(cfg.limits.long_request_timeout_secs + 60),
        );
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (store, db): (Arc<dyn Store>, Arc<dyn ServerStore>) = match cfg.database()? {
            Database::Sqlite(path) => {
                let s = Arc::new(crate::SqliteStore::open(&path)?);
                (s.clone(), s)
            }
            Database::Postgres(url) => {
                let s = Arc::new(crate::PgStore::connect(
                    &url,
                    &cfg.database_schema,
                    cfg.database_pool,
                )?);
                (s.clone(), s)
            }
        };
        let vault: Arc<dyn KeyVault> = Arc::new(DbKeyVault::new(
            db.clone(),
            master_key(&cfg)?,
            clock.clone(),
        ));
        let sms: Arc<dyn SmsSender> = Arc::new(DevSms {
            db: db.clone(),
            clock: clock.clone(),
        });
        let platform = Platform::new(store, clock.clone(), sms, vault);
        let ca = TestCa::new(&cfg.ca_seed)?;
        let mut trust = TrustStore::from_files(&cfg.trust_anchors)
            .map_err(|e| StartError::Trust(e.to_string()))?;
        trust.add(ca.root.cert.clone());
        Ok(AppState(Arc::new(Inner {
            cfg,
            platform,
            db,
            clock,
            ca,
            trust,
            docs_dir,
        })))
    }

    /// Runs blocking work (platform rules, SQLite, signing) on the blocking pool.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let s = self.0.clone();
        tokio::task::spawn_blocking(move || f(&s))
            .await
            .map_err(|e| ApiError::internal(format!("worker: {e}")))?
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
