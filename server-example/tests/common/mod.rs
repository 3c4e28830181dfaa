//! Shared by the server's integration tests: temporary folders, a throwaway PostgreSQL
//! cluster, the real `eseal-server` binary started on SQLite or PostgreSQL, an HTTP client
//! that returns status and JSON, and the software UKey behind the real agent handler.
#![allow(dead_code)]

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "eseal-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A throwaway PostgreSQL cluster, stopped on drop.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    /// libpq key=value form.
    pub url: String,
    pub port: u16,
    /// The server options `pg_ctl start` was given (for a restart).
    opts: String,
}

fn as_postgres(cmd: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", cmd]);
        c
    } else {
        Command::new(cmd)
    }
}

impl Cluster {
    pub fn start() -> Result<Cluster, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("no /usr/lib/postgresql ({e}); run scripts/setup.sh"))?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()
            .ok_or("no initdb under /usr/lib/postgresql/*/bin; run scripts/setup.sh")?;
        let dir = temp_dir("pg");
        let data = dir.join("data");
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status();
        let run = |mut c: Command, what: &str| -> Result<(), String> {
            let out = c.output().map_err(|e| format!("{what}: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{what} failed: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        let mut c = as_postgres(bin.join("initdb").to_str().ok_or("path")?);
        c.args(["-D"]).arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(c, "initdb")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            dir.display()
        );
        let mut c = as_postgres(bin.join("pg_ctl").to_str().ok_or("path")?);
        c.arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-w", "-t", "60", "-l"])
            .arg(dir.join("log"))
            .arg("start");
        run(c, "pg_ctl start")?;
        Ok(Cluster {
            dir,
            bin,
            url: format!("host=127.0.0.1 port={port} user=postgres dbname=postgres"),
            port,
            opts,
        })
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let ctl = self.bin.join("pg_ctl");
        let out = as_postgres(ctl.to_str().ok_or("path")?)
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Stops the server now (`pg_ctl stop -m fast`: open connections are cut), for fault tests.
    pub fn stop_now(&self) -> Result<(), String> {
        self.pg_ctl(&["-m", "fast", "-w", "stop"])
    }

    /// Starts the stopped server again on the same port.
    pub fn start_again(&self) -> Result<(), String> {
        let log = self.dir.join("log");
        let log = log.to_str().ok_or("path")?;
        self.pg_ctl(&["-o", &self.opts, "-w", "-t", "60", "-l", log, "start"])
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(ctl) = self.bin.join("pg_ctl").to_str() {
            let _ = as_postgres(ctl)
                .arg("-D")
                .arg(self.dir.join("data"))
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The PostgreSQL to test against: `ESEAL_PG_URL` (libpq or URL form), or a throwaway
/// cluster. `None` (skip, with a message) when neither is there — except under `CI=true`,
/// where that is a failure.
pub fn postgres(test: &str) -> Option<(String, Option<Cluster>)> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match std::env::var("ESEAL_PG_URL") {
        Ok(u) if !u.is_empty() => Some((u, None)),
        _ => match Cluster::start() {
            Ok(c) => Some((c.url.clone(), Some(c))),
            Err(e) if ci => panic!(
                "PostgreSQL needed under CI: set ESEAL_PG_URL or install it (scripts/setup.sh): {e}"
            ),
            Err(e) => {
                eprintln!("SKIP {test}: no ESEAL_PG_URL and no local cluster: {e}");
                None
            }
        },
    }
}

/// A PostgreSQL URL (`postgres://…`) for the server's configuration.
pub fn pg_server_url(c: &Option<Cluster>, libpq: &str) -> String {
    match c {
        Some(c) => format!("postgres://postgres@127.0.0.1:{}/postgres", c.port),
        None => libpq.to_owned(),
    }
}

pub fn unique_schema(tag: &str) -> String {
    format!(
        "s{}_{}_{}",
        tag,
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    Postgres { url: String, schema: String },
}

pub const OPERATOR: (&str, &str) = ("ops", "ops-test-password");

/// The real `eseal-server` binary, stopped (SIGTERM) on drop.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Server {
    /// Starts the server with the demo data set on `db` in a fresh data dir.
    pub fn start(db: &Db, extra_env: &[(&str, &str)]) -> Server {
        Self::start_in(db, &temp_dir("server"), extra_env)
    }

    pub fn start_in(db: &Db, data_dir: &Path, extra_env: &[(&str, &str)]) -> Server {
        let port = free_port();
        std::fs::create_dir_all(data_dir).expect("data dir");
        let log = data_dir.join("server.log");
        let mut c = Command::new(env!("CARGO_BIN_EXE_eseal-server"));
        c.arg("--demo")
            .env("ESEAL_LISTEN", format!("127.0.0.1:{port}"))
            .env("ESEAL_DATA_DIR", data_dir)
            .env("ESEAL_OPERATOR", format!("{}:{}", OPERATOR.0, OPERATOR.1))
            .env("ESEAL_DEV_CAPTCHA_ANSWERS", "1")
            .env("ESEAL_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        match db {
            Db::Sqlite => {
                c.env("ESEAL_DATABASE_URL", "sqlite://eseal.db");
            }
            Db::Postgres { url, schema } => {
                c.env("ESEAL_DATABASE_URL", url)
                    .env("ESEAL_DATABASE_SCHEMA", schema);
            }
        }
        for (k, v) in extra_env {
            c.env(k, v);
        }
        let mut child = c.spawn().expect("start eseal-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(90)).is_err() {
            let _ = child.kill();
            panic!(
                "eseal-server did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_owned(),
            log,
        }
    }

    pub fn api(&self) -> Api {
        Api::new(&self.base)
    }

    /// SIGTERM, and the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(s)) = child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A response: status, content type, body.
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An HTTP client with an optional bearer token.
#[derive(Clone)]
pub struct Api {
    agent: ureq::Agent,
    pub base: String,
    pub token: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Api {
    pub fn new(base: &str) -> Api {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Api {
            agent,
            base: base.to_owned(),
            token: None,
            headers: vec![],
        }
    }

    pub fn with_token(&self, t: &str) -> Api {
        let mut a = self.clone();
        a.token = Some(t.to_owned());
        a
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Resp {
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            b = b.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(ct) = content_type {
            b = b.header("Content-Type", ct);
        }
        let r = if body.is_empty() && matches!(method, "GET" | "DELETE" | "HEAD") {
            self.agent.run(b.body(()).expect("request"))
        } else {
            self.agent.run(b.body(body).expect("request"))
        };
        let mut r = r.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = r
            .body_mut()
            .with_config()
            .limit(200 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        assert!(
            status < 500,
            "{method} {path} answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        if status >= 400 {
            assert!(
                content_type.starts_with("application/problem+json"),
                "{method} {path} {status} is not problem+json: {content_type}"
            );
        }
        Resp {
            status,
            content_type,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None, vec![])
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.send("DELETE", path, None, vec![])
    }
    pub fn post(&self, path: &str, v: Value) -> Resp {
        self.send(
            "POST",
            path,
            Some("application/json"),
            v.to_string().into_bytes(),
        )
    }
    pub fn put(&self, path: &str, v: Value) -> Resp {
        self.send(
            "PUT",
            path,
            Some("application/json"),
            v.to_string().into_bytes(),
        )
    }
    pub fn upload(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
        self.send("POST", path, Some(content_type), bytes)
    }

    /// Password sign-in; returns a client with the session token.
    pub fn login(&self, phone: &str, password: &str) -> Api {
        let r = self.post(
            "/api/v1/auth/login/password",
            json!({"phone": phone, "password": password}),
        );
        assert_eq!(r.status, 200, "login {phone}: {}", r.text());
        self.with_token(r.json()["token"].as_str().expect("token"))
    }

    /// The id of the first cloud seal this identity may use (the demo's 合同专用章).
    pub fn first_cloud_seal(&self) -> String {
        expect(&self.get("/api/v1/seals?kind=Cloud"), 200)["items"][0]["id"]
            .as_str()
            .expect("a cloud seal")
            .to_owned()
    }

    pub fn operator(&self) -> Api {
        let r = self.post(
            "/api/v1/auth/login/operator",
            json!({"name": OPERATOR.0, "password": OPERATOR.1}),
        );
        assert_eq!(r.status, 200, "operator login: {}", r.text());
        self.with_token(r.json()["token"].as_str().expect("token"))
    }
}

/// `status` must be `want`; prints the body otherwise.
#[track_caller]
pub fn expect(r: &Resp, want: u16) -> Value {
    assert_eq!(r.status, want, "{}", r.text());
    r.json()
}

pub const DEMO_PASSWORD: &str = "Demo@2026";
pub const DEMO_SIGNING_PASSWORD: &str = "246810";
/// Demo staff phones: app admin, staff admin, seal admin, auditor, seal maker, seal user.
pub const APP_ADMIN: &str = "13800000001";
pub const STAFF_ADMIN: &str = "13800000002";
pub const SEAL_ADMIN: &str = "13800000003";
pub const AUDITOR: &str = "13800000004";
pub const SEAL_MAKER: &str = "13800000005";
pub const SEAL_USER: &str = "13800000006";

/// The software UKey cdylib cargo built beside the test binary (a dependency of the server).
pub fn built_soft_ukey() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps folder");
    let name = format!(
        "{}eseal_soft_ukey{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        let p = dir.join(&name);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "the software UKey library {name} was not built next to {}",
        deps.display()
    );
}

/// The real agent request handler (`eseal agent` without its socket) over a private copy of
/// the software UKey library whose device is `state_file`.
pub struct UkeyAgent {
    pub agent: eseal::ukey::agent::Agent,
    secret: String,
}

pub const PORTAL: &str = "http://127.0.0.1:1";

impl UkeyAgent {
    pub fn new(state_file: &Path) -> UkeyAgent {
        let dir = temp_dir("agent");
        let lib = dir.join(format!(
            "{}eseal_soft_ukey{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ));
        std::fs::copy(built_soft_ukey(), &lib).expect("copy the soft UKey library");
        let mut devices = lib.clone().into_os_string();
        devices.push(".devices");
        std::fs::write(
            PathBuf::from(devices),
            format!("{}\n", state_file.display()),
        )
        .expect(".devices");
        let secret = "0123456789abcdef0123456789abcdef".to_owned();
        let agent = eseal::ukey::agent::Agent::new(eseal::ukey::agent::AgentConfig {
            libraries: vec![(lib, eseal::ukey::SkfConfig::default())],
            portal_origin: PORTAL.into(),
            session_secret: secret.clone(),
            application: None,
            match_rule: eseal::ukey::MatchRule::default(),
            seal_file_prefix: "ESL".into(),
        })
        .expect("agent");
        UkeyAgent { agent, secret }
    }

    /// One request as the portal's page makes it.
    pub fn call(&self, method: &str, url: &str, body: Value) -> Value {
        let r = self.agent.handle(&eseal::ukey::agent::AgentRequest {
            method: method.into(),
            url: url.into(),
            headers: vec![
                ("Host".into(), "127.0.0.1:18590".into()),
                ("Origin".into(), PORTAL.into()),
                (
                    eseal::ukey::agent::SESSION_HEADER.into(),
                    self.secret.clone(),
                ),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: if body.is_null() {
                vec![]
            } else {
                body.to_string().into_bytes()
            },
        });
        assert_eq!(r.status, 200, "agent {method} {url}: {:?}", r.json_body());
        r.json_body()
    }
}

/// Signs in with a UKey: server challenge → agent signs it → server checks it.
pub fn ukey_login(api: &Api, agent: &UkeyAgent, kind: &str, pin: &str) -> Resp {
    let ch = expect(&api.post("/api/v1/auth/ukey/challenge", json!({})), 200);
    let signed = agent.call(
        "POST",
        "/v1/sign-challenge",
        json!({"pin": pin, "challenge": ch["challenge"]}),
    );
    api.post(
        "/api/v1/auth/login/ukey",
        json!({
            "challenge_id": ch["challenge_id"],
            "kind": kind,
            "certificate": signed["certificate"],
            "signature": signed["signature"],
            "device_serial": signed["device_serial"],
        }),
    )
}
