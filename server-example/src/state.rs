//! The shared state of every request: configuration, the platform over its store, the
//! server's own store, the development CA, trust anchors and the document folder.

use std::path::PathBuf;
use std::sync::Arc;

use eseal::crypto::testca::TestCa;
use eseal::platform::audit::AuditMac;
use eseal::platform::authority::TestCaAuthority;
use eseal::platform::vault::StoreKeyVault;
use eseal::platform::{Clock, Platform, Services, SmsError, SmsSender, Store, SystemClock};
use eseal::validation::TrustStore;

use crate::config::{AUDIT_KEY_LEN, Config, Database, VAULT_KEY_LEN};
use crate::error::{ApiError, ApiResult};
use crate::kv::{KvEntry, ServerStore, ns};

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
    #[error("key file {path}: {why}")]
    KeyFile { path: PathBuf, why: String },
    #[error("platform services: {0}")]
    Services(String),
    /// The repair of signings cut short failed (the store answered with an error).
    #[error("repairing signings cut short: {0}")]
    Repair(String),
}

pub struct Inner {
    pub cfg: Config,
    pub platform: Platform,
    pub store: Arc<dyn Store>,
    pub db: Arc<dyn ServerStore>,
    pub clock: Arc<dyn Clock>,
    /// The platform's CA (development: deterministic from `ca_seed`).
    pub ca: TestCa,
    /// Trust anchors of verification and UKey logins: the CA root plus the configured ones.
    pub trust: TrustStore,
    /// Where uploaded and signed documents live.
    pub docs_dir: PathBuf,
    /// The time-stamp authority of `POST /tsa` (the CA's time-stamping certificate).
    pub tsa: eseal::tsp::TimeStampAuthority,
    /// This process and the sign locks it holds (`recovery`).
    pub locks: crate::recovery::Locks,
    vault_key: Vec<u8>,
    audit_key: Vec<u8>,
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
    pub db: Arc<dyn ServerStore>,
    pub clock: Arc<dyn Clock>,
    /// Log at debug level (the demo's own codes).
    pub quiet: bool,
}

impl SmsSender for DevSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), SmsError> {
        if self.quiet {
            tracing::debug!(target: "eseal_server::sms", phone, text, "SMS (development sender)");
        } else {
            tracing::info!(target: "eseal_server::sms", phone, text, "SMS (development sender)");
        }
        let now = self.clock.now();
        let mut rnd = [0u8; 6];
        getrandom::fill(&mut rnd).map_err(|_| SmsError::Unavailable)?;
        // Ids sort in sending order (nanoseconds of the system clock).
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        self.db
            .kv_put(
                ns::DEV_SMS,
                &KvEntry {
                    id: format!("{nanos:024}-{}", hex::encode(rnd)),
                    owner: phone.to_owned(),
                    body: serde_json::json!({ "phone": phone, "text": text, "time": now })
                        .to_string(),
                    expires: Some(now + 3600),
                },
            )
            .map_err(|e| SmsError::Gateway(e.to_string()))
    }
}

fn make_dir(p: &std::path::Path) -> Result<(), StartError> {
    std::fs::create_dir_all(p).map_err(|source| StartError::DataDir {
        path: p.to_owned(),
        source,
    })
}

/// A secret from the configuration, or (development) kept in `data_dir/FILE`, made on first
/// start.
fn secret(
    cfg: &Config,
    configured: &Option<String>,
    name: &'static str,
    file: &str,
    len: usize,
) -> Result<Vec<u8>, StartError> {
    if let Some(k) = configured {
        return Ok(crate::config::secret_key(name, k, len)?);
    }
    let path = cfg.data_dir.join(file);
    let err = |why: String| StartError::KeyFile {
        path: path.clone(),
        why,
    };
    match std::fs::read_to_string(&path) {
        Ok(t) => crate::config::secret_key(name, &t, len).map_err(|e| err(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut k = vec![0u8; len];
            getrandom::fill(&mut k).map_err(|e| err(e.to_string()))?;
            eseal::fs::write_atomic(&path, &[hex::encode(&k).as_bytes()])
                .map_err(|e| err(e.to_string()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| err(e.to_string()))?;
            }
            tracing::warn!(path = %path.display(), "no {name} configured: made one for development");
            Ok(k)
        }
        Err(e) => Err(err(e.to_string())),
    }
}

impl Inner {
    /// The platform's services over the store, with `clock` and `sms`.
    pub fn services(
        &self,
        clock: Arc<dyn Clock>,
        sms: Arc<dyn SmsSender>,
    ) -> Result<Services, StartError> {
        services(
            &self.ca,
            &self.trust,
            self.store.clone(),
            clock,
            sms,
            &self.vault_key,
            &self.audit_key,
        )
    }
}

fn services(
    ca: &TestCa,
    trust: &TrustStore,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    sms: Arc<dyn SmsSender>,
    vault_key: &[u8],
    audit_key: &[u8],
) -> Result<Services, StartError> {
    let bad = |e: &dyn std::fmt::Display| StartError::Services(e.to_string());
    Ok(Services {
        vault: Arc::new(StoreKeyVault::new(store.clone(), vault_key).map_err(|e| bad(&e))?),
        store,
        clock,
        sms,
        audit_mac: AuditMac::new(audit_key).map_err(|e| bad(&e))?,
        audit_signer: Arc::new(ca.server.signer()),
        authority: Arc::new(TestCaAuthority(ca.clone())),
        seal_maker: Arc::new(ca.unit.signer()),
        trust: trust.clone(),
    })
}

impl AppState {
    /// Opens (creating and migrating) the database and the data directory.
    pub fn open(cfg: Config) -> Result<AppState, StartError> {
        Self::open_wrapped(cfg, |s| s)
    }

    /// [`AppState::open`] with the platform's store passed through `wrap` (failure injection
    /// in tests: `eseal::platform::conformance::CommitHook`).
    pub fn open_wrapped(
        cfg: Config,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
    ) -> Result<AppState, StartError> {
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
        let store = wrap(store);
        let vault_key = secret(
            &cfg,
            &cfg.vault_master_key,
            "vault_master_key",
            "vault-master.key",
            VAULT_KEY_LEN,
        )?;
        let audit_key = secret(
            &cfg,
            &cfg.audit_mac_key,
            "audit_mac_key",
            "audit-mac.key",
            AUDIT_KEY_LEN,
        )?;
        let sms: Arc<dyn SmsSender> = Arc::new(DevSms {
            db: db.clone(),
            clock: clock.clone(),
            quiet: false,
        });
        // With a public URL the CA's certificates point at this server's /crl and /ocsp.
        let ca = match &cfg.public_url {
            Some(url) => TestCa::with_revocation_pointers(&cfg.ca_seed, url)?,
            None => TestCa::new(&cfg.ca_seed)?,
        };
        let mut trust = TrustStore::from_files(&cfg.trust_anchors)
            .map_err(|e| StartError::Trust(e.to_string()))?;
        trust.add(ca.root.cert.clone());
        let platform = Platform::new(services(
            &ca,
            &trust,
            store.clone(),
            clock.clone(),
            sms,
            &vault_key,
            &audit_key,
        )?);
        let tsa = eseal::tsp::TimeStampAuthority::new(
            Box::new(eseal::tsp::Sm2TsaKey(Box::new(ca.tsa()?.signer()))),
            vec![ca.root.cert.clone()],
        )
        .map_err(|e| StartError::Services(format!("time-stamp authority: {e}")))?;
        let state = AppState(Arc::new(Inner {
            cfg,
            platform,
            store,
            db,
            clock,
            ca,
            trust,
            docs_dir,
            tsa,
            locks: crate::recovery::Locks::new(),
            vault_key,
            audit_key,
        }));
        // Signings a killed process left are completed or rolled back before serving.
        crate::recovery::heartbeat(&state).map_err(|e| StartError::Repair(e.detail.clone()))?;
        match crate::recovery::repair(&state) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(signings = n, "repaired signings cut short"),
            Err(e) => return Err(StartError::Repair(e.detail)),
        }
        Ok(state)
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
