//! `eseal ukey ...` (software UKey provisioning; list / verify PIN / read and write seals on any
//! SKF library) and `eseal agent` (the local 证书助手 over HTTP on 127.0.0.1).

use super::{CliError, CliResult, write_atomic};
use clap::{Args, Subcommand};
use eseal::crypto::sm2::PrivateKey;
use eseal::crypto::testca::TestCa;
use eseal::crypto::{Certificate, SoftwareSigner};
use eseal::ukey::agent::{Agent, AgentConfig, AgentRequest, MAX_BODY, new_session_secret};
use eseal::ukey::seals::{read_seals, seal_file_name, write_seal};
use eseal::ukey::{
    KeyIdentity, MatchRule, PinType, SkfConfig, SkfLibrary, Token, TokenLibrary, UlongWidth,
    find_sm2_container,
};
use eseal_soft_ukey::state::{PinLockReport, Provision, Quirks};
use std::path::PathBuf;

/// The environment variable read when `--pin` is not given (keeps the PIN out of `ps`).
const PIN_ENV: &str = "ESEAL_UKEY_PIN";

#[derive(Subcommand)]
pub enum UkeyCommand {
    /// Create a software UKey state file (load it through the eseal-soft-ukey library with
    /// ESEAL_SOFT_UKEY_FILE=<file>). Keys are stored in clear: for tests and demos only.
    Init(InitArgs),
    /// List the keys an SKF library sees, with device serial and certificate.
    List(LibArgs),
    /// Verify the user PIN (reports the tries left, or a lock-out).
    VerifyPin(PinArgs),
    /// List the seals stored on a key (files that parse as GB/T 38540 / GM/T 0031 seals).
    ReadSeals {
        #[command(flatten)]
        pin: PinArgs,
        /// Write each seal's DER into this folder.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// Write a seal (.esl, DER) to a key.
    WriteSeal {
        #[command(flatten)]
        pin: PinArgs,
        /// The seal file.
        #[arg(long)]
        seal: PathBuf,
        /// File name on the key (default: ESL + SM3 prefix of the seal).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Args)]
pub struct InitArgs {
    /// The state file to create.
    #[arg(long)]
    out: PathBuf,
    /// User PIN (6 to 16 characters).
    #[arg(long)]
    pin: String,
    /// Administrator PIN.
    #[arg(long, default_value = "12345678")]
    admin_pin: String,
    /// Signing certificate (PEM or DER).
    #[arg(long, requires = "key", conflicts_with = "test_ca")]
    cert: Option<PathBuf>,
    /// Its SM2 private key (PEM or DER).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Use an identity of the deterministic test CA made from this seed instead.
    #[arg(long)]
    test_ca: Option<String>,
    /// Which test CA identity: person or unit.
    #[arg(long, default_value = "person")]
    identity: String,
    #[arg(long, default_value = "SOFT0001")]
    serial: String,
    #[arg(long, default_value = "eseal soft UKey")]
    label: String,
    #[arg(long, default_value = "ESEAL")]
    app: String,
    #[arg(long, default_value = "SM2-SIGN")]
    container: String,
    #[arg(long, default_value_t = 6)]
    retries: u32,
    /// Vendor quirk: 64-bit ULONG in out-parameters and structures.
    #[arg(long)]
    ulong64: bool,
    /// Vendor quirk: SM2 algorithm ID (e.g. 0x00020200).
    #[arg(long, value_parser = parse_u32)]
    sm2_alg_id: Option<u32>,
    /// Vendor quirk: report the lock-out as PIN_INCORRECT with 0 tries left.
    #[arg(long)]
    lock_as_incorrect: bool,
}

fn parse_u32(s: &str) -> Result<u32, String> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|e| e.to_string())
}

#[derive(Args, Clone)]
pub struct LibArgs {
    /// Path of the SKF library (.so / .dll).
    #[arg(long)]
    lib: PathBuf,
    /// The library uses a 64-bit ULONG (some vendor Linux builds).
    #[arg(long)]
    ulong64: bool,
    /// Device name (default: the first key present).
    #[arg(long)]
    device: Option<String>,
    /// Application (default: the first on the key).
    #[arg(long)]
    app: Option<String>,
}

#[derive(Args, Clone)]
pub struct PinArgs {
    #[command(flatten)]
    lib: LibArgs,
    /// User PIN (default: the ESEAL_UKEY_PIN environment variable).
    #[arg(long)]
    pin: Option<String>,
}

impl LibArgs {
    fn load(&self) -> Result<SkfLibrary, CliError> {
        let cfg = SkfConfig {
            ulong_width: if self.ulong64 {
                UlongWidth::U64
            } else {
                UlongWidth::U32
            },
            ..SkfConfig::default()
        };
        Ok(SkfLibrary::load_with(&self.lib, cfg)?)
    }
    fn open(&self) -> Result<(Box<dyn Token>, String), CliError> {
        let lib = self.load()?;
        let name = match &self.device {
            Some(d) => d.clone(),
            None => lib
                .enumerate()?
                .into_iter()
                .next()
                .ok_or_else(|| CliError("no UKey is present".into()))?,
        };
        let tok = lib.connect(&name)?;
        let app = match &self.app {
            Some(a) => a.clone(),
            None => tok
                .applications()?
                .into_iter()
                .next()
                .ok_or_else(|| CliError("the key has no application".into()))?,
        };
        Ok((tok, app))
    }
}

impl PinArgs {
    fn pin(&self) -> Result<String, CliError> {
        match &self.pin {
            Some(p) => Ok(p.clone()),
            None => {
                std::env::var(PIN_ENV).map_err(|_| CliError(format!("give --pin or set {PIN_ENV}")))
            }
        }
    }
}

pub fn run(c: UkeyCommand) -> CliResult {
    match c {
        UkeyCommand::Init(a) => init(a),
        UkeyCommand::List(a) => {
            let lib = a.load()?;
            let names = lib.enumerate()?;
            if names.is_empty() {
                println!("no UKey present");
            }
            for name in names {
                let mut tok = lib.connect(&name)?;
                let info = tok.info()?;
                println!(
                    "{name}\n  serial: {}\n  label: {}\n  manufacturer: {}\n  SM2: {}",
                    info.serial, info.label, info.manufacturer, info.sm2
                );
                for app in tok.applications()? {
                    let pin = tok
                        .pin_info(&app, PinType::User)
                        .map(|p| format!("{} of {} tries left", p.retries_left, p.max_retries))
                        .unwrap_or_else(|e| e.to_string());
                    println!("  application {app}: user PIN {pin}");
                    if let Ok(con) = find_sm2_container(tok.as_mut(), &app)
                        && let Ok(der) = tok.certificate(&app, &con, true)
                        && let Ok(cert) = Certificate::from_der(&der)
                    {
                        let id = KeyIdentity::new(&name, &info, &cert);
                        println!(
                            "    container {con}: {}\n      issuer {}\n      serial {}",
                            id.subject, id.issuer, id.cert_serial
                        );
                        println!(
                            "      key_uid ({:?}): {}",
                            MatchRule::default(),
                            id.key_uid(MatchRule::default()).unwrap_or_default()
                        );
                    }
                }
            }
            Ok(0)
        }
        UkeyCommand::VerifyPin(a) => {
            let (mut tok, app) = a.lib.open()?;
            match tok.verify_pin(&app, PinType::User, &a.pin()?) {
                Ok(()) => {
                    let _ = tok.logout(&app);
                    println!("PIN correct");
                    Ok(0)
                }
                Err(
                    e @ (eseal::ukey::UkeyError::PinIncorrect { .. }
                    | eseal::ukey::UkeyError::PinLocked),
                ) => {
                    println!("{e}");
                    Ok(1)
                }
                Err(e) => Err(e.into()),
            }
        }
        UkeyCommand::ReadSeals { pin, out_dir } => {
            let (mut tok, app) = pin.lib.open()?;
            if let Ok(p) = pin.pin() {
                tok.verify_pin(&app, PinType::User, &p)?;
            }
            let seals = read_seals(tok.as_mut(), None)?;
            let _ = tok.logout(&app);
            println!("{} seal(s)", seals.len());
            for s in &seals {
                println!(
                    "{}/{}: {} ({}) esID {} valid {} .. {}",
                    s.application,
                    s.file,
                    s.seal.name,
                    s.seal.version.label(),
                    s.seal.es_id,
                    s.seal.valid_start.to_iso(),
                    s.seal.valid_end.to_iso()
                );
                if let Some(d) = &out_dir {
                    std::fs::create_dir_all(d)?;
                    let safe: String = s
                        .file
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    write_atomic(&d.join(format!("{safe}.esl")), s.seal.der())?;
                }
            }
            Ok(0)
        }
        UkeyCommand::WriteSeal { pin, seal, name } => {
            let der =
                std::fs::read(&seal).map_err(|e| CliError(format!("{}: {e}", seal.display())))?;
            let (mut tok, app) = pin.lib.open()?;
            tok.verify_pin(&app, PinType::User, &pin.pin()?)?;
            let file = name.unwrap_or_else(|| seal_file_name("ESL", &der));
            let r = write_seal(tok.as_mut(), &app, &file, &der);
            let _ = tok.logout(&app);
            r?;
            println!("seal written to {app}/{file}");
            Ok(0)
        }
    }
}

fn init(a: InitArgs) -> CliResult {
    let (key, cert) = match (&a.cert, &a.key, &a.test_ca) {
        (Some(c), Some(k), None) => {
            let cert = Certificate::parse(
                &std::fs::read(c).map_err(|e| CliError(format!("{}: {e}", c.display())))?,
            )?;
            let key = PrivateKey::parse(
                &std::fs::read(k).map_err(|e| CliError(format!("{}: {e}", k.display())))?,
            )?;
            (key, cert)
        }
        (None, None, Some(seed)) => {
            let ca = TestCa::new(seed)?;
            let id = match a.identity.as_str() {
                "person" => ca.person,
                "unit" => ca.unit,
                other => {
                    return Err(CliError(format!(
                        "unknown test CA identity {other:?} (person, unit)"
                    )));
                }
            };
            (id.key, id.cert)
        }
        _ => return Err(CliError("give --cert and --key, or --test-ca SEED".into())),
    };
    // Refuses a key that does not belong to the certificate.
    SoftwareSigner::new(key.clone(), cert.clone())?;
    let quirks = Quirks {
        ulong64: a.ulong64,
        sm2_alg_id: a.sm2_alg_id,
        pin_lock_report: if a.lock_as_incorrect {
            PinLockReport::IncorrectZero
        } else {
            PinLockReport::Locked
        },
        ..Quirks::default()
    };
    Provision {
        serial: a.serial,
        label: a.label,
        application: a.app,
        container: a.container,
        user_pin: a.pin,
        admin_pin: a.admin_pin,
        max_retries: a.retries,
        sign_key: key.to_bytes(),
        sign_cert: cert.der().to_vec(),
        quirks,
    }
    .create(&a.out)?;
    println!(
        "software UKey written to {} ({})",
        a.out.display(),
        cert.subject_string()
    );
    Ok(0)
}

#[derive(Args)]
pub struct AgentArgs {
    /// SKF library to poll (repeat for several vendors).
    #[arg(long, required = true)]
    lib: Vec<PathBuf>,
    /// SKF libraries with a 64-bit ULONG.
    #[arg(long)]
    lib_ulong64: Vec<PathBuf>,
    /// The portal origin allowed to call (scheme://host[:port]).
    #[arg(long)]
    portal_origin: String,
    /// Port on 127.0.0.1 (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 18590)]
    port: u16,
    /// The session secret (default: a fresh random one, printed at start). Read from the
    /// ESEAL_AGENT_SECRET environment variable when set.
    #[arg(long)]
    secret: Option<String>,
    /// Application on the keys (default: the first).
    #[arg(long)]
    app: Option<String>,
    /// Whitelist identifier rule.
    #[arg(long, value_enum, default_value = "cert-unique-id-else-serial")]
    match_rule: RuleArg,
    /// Prefix of the file name of a written seal.
    #[arg(long, default_value = "ESL")]
    seal_prefix: String,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RuleArg {
    CertUniqueIdElseSerial,
    DeviceSerial,
    CertUniqueId,
    CertUniqueIdAndSerial,
    CertThumbprint,
}

impl From<RuleArg> for MatchRule {
    fn from(r: RuleArg) -> Self {
        match r {
            RuleArg::CertUniqueIdElseSerial => MatchRule::CertUniqueIdElseSerial,
            RuleArg::DeviceSerial => MatchRule::DeviceSerial,
            RuleArg::CertUniqueId => MatchRule::CertUniqueId,
            RuleArg::CertUniqueIdAndSerial => MatchRule::CertUniqueIdAndSerial,
            RuleArg::CertThumbprint => MatchRule::CertThumbprint,
        }
    }
}

/// `eseal agent`: serves the agent on 127.0.0.1 until killed. Logs method, path and status
/// only (never bodies: they carry PINs).
pub fn agent(a: AgentArgs) -> CliResult {
    let (secret, generated) = match a
        .secret
        .or_else(|| std::env::var("ESEAL_AGENT_SECRET").ok())
    {
        Some(s) => (s, false),
        None => (new_session_secret()?, true),
    };
    let mut libraries: Vec<(PathBuf, SkfConfig)> = a
        .lib
        .into_iter()
        .map(|p| (p, SkfConfig::default()))
        .collect();
    libraries.extend(a.lib_ulong64.into_iter().map(|p| {
        (
            p,
            SkfConfig {
                ulong_width: UlongWidth::U64,
                ..SkfConfig::default()
            },
        )
    }));
    let agent = Agent::new(AgentConfig {
        libraries,
        portal_origin: a.portal_origin.clone(),
        session_secret: secret.clone(),
        application: a.app,
        match_rule: a.match_rule.into(),
        seal_file_prefix: a.seal_prefix,
    })?;
    let server = tiny_http::Server::http(("127.0.0.1", a.port))
        .map_err(|e| CliError(format!("cannot listen on 127.0.0.1:{}: {e}", a.port)))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|s| s.port())
        .unwrap_or(a.port);
    println!(
        "eseal agent listening on http://127.0.0.1:{port} for {}",
        a.portal_origin
    );
    if generated {
        println!("session secret: {secret}");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    for mut rq in server.incoming_requests() {
        let mut body = Vec::new();
        let too_large = {
            use std::io::Read;
            let r = rq
                .as_reader()
                .take(MAX_BODY as u64 + 1)
                .read_to_end(&mut body);
            r.is_err() || body.len() > MAX_BODY
        };
        let req = AgentRequest {
            method: rq.method().as_str().to_uppercase(),
            url: rq.url().to_string(),
            headers: rq
                .headers()
                .iter()
                .map(|h| {
                    (
                        h.field.as_str().as_str().to_string(),
                        h.value.as_str().to_string(),
                    )
                })
                .collect(),
            body,
        };
        let resp = if too_large {
            eseal::ukey::agent::AgentResponse {
                status: 413,
                headers: vec![],
                body: b"{\"error\":\"too_large\"}".to_vec(),
            }
        } else {
            agent.handle(&req)
        };
        let path = req.url.split('?').next().unwrap_or("");
        eprintln!("agent: {} {} -> {}", req.method, path, resp.status);
        let mut out = tiny_http::Response::from_data(resp.body).with_status_code(resp.status);
        for (k, v) in resp.headers {
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                out.add_header(h);
            }
        }
        let _ = rq.respond(out);
    }
    Ok(0)
}
