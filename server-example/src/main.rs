//! `eseal-server`: the reference e-seal platform over HTTP.
//!
//! ```text
//! eseal-server [--config FILE] [--demo]
//! ```
//! `--demo` fills an empty database with the demo unit (see README) and prints its sign-ins.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use eseal_server::config::Config;
use eseal_server::state::AppState;
use tracing_subscriber::EnvFilter;

struct Args {
    config: Option<PathBuf>,
    demo: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        config: std::env::var_os("ESEAL_CONFIG").map(PathBuf::from),
        demo: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--config" => a.config = Some(it.next().ok_or("--config needs a file")?.into()),
            "--demo" => a.demo = true,
            "-h" | "--help" => {
                println!(
                    "eseal-server [--config FILE] [--demo]\n\nConfiguration: TOML file (see server-example/eseal-server.sample.toml) and ESEAL_* environment variables."
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(a)
}

fn main() {
    cap_malloc_arenas();
    // Structured logs on standard error: key=value text, or JSON lines with ESEAL_LOG_FORMAT=json.
    let filter = EnvFilter::try_from_env("ESEAL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("ESEAL_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let code = match run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("eseal-server: {e}");
            2
        }
    };
    std::process::exit(code);
}

/// Bounds the memory the allocator keeps. glibc gives threads that allocate at the same time
/// arenas of their own, up to 8 per core, and keeps the pages freed in each: under 16
/// concurrent 6 MB uploads a round, the server's resident size grew 73 → 308 MiB over 20
/// rounds while the bytes in use came back to the same level after each round
/// (`tests/heap.rs`: allocator retention, not a leak). One arena per core (at least 2) holds
/// it at 125–132 MiB (`tests/faults.rs` `concurrent_uploads_memory_plateaus`;
/// docs/robustness.md). glibc's own `MALLOC_ARENA_MAX`, when set, is left to decide.
fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a parameter of the allocator; M_ARENA_MAX takes a count.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }
}

fn run() -> Result<(), String> {
    let a = args()?;
    let cfg = Config::load(a.config.as_deref()).map_err(|e| e.to_string())?;
    let state = AppState::open(cfg).map_err(|e| e.to_string())?;
    if a.demo {
        let d = eseal_server::demo::seed(&state).map_err(|e| e.to_string())?;
        println!("{d}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(serve(state))?;
    // In-flight blocking work (signings) has finished: every handler was awaited by the
    // graceful shutdown, and the runtime waits for its blocking pool when dropped.
    drop(rt);
    tracing::info!("stopped");
    Ok(())
}

async fn serve(state: AppState) -> Result<(), String> {
    let listen = state.cfg.listen;
    let tls = state.cfg.tls.clone();
    let base = state.cfg.public_base();
    // A client that sends its request head slowly (slowloris) is cut off; the body is bounded
    // by the request timeout (`limits.long_request_timeout_secs`).
    let head_timeout = Duration::from_secs(state.cfg.limits.header_read_timeout_secs);
    let pruner = tokio::spawn(prune(state.clone()));
    let worker = tokio::spawn(eseal_server::api::open::worker(state.clone()));
    let app = eseal_server::api::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let h2 = handle.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        h2.graceful_shutdown(Some(Duration::from_secs(60)));
    });
    let r = match tls {
        Some(t) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let conf = axum_server::tls_rustls::RustlsConfig::from_pem_file(&t.cert, &t.key)
                .await
                .map_err(|e| format!("TLS certificate/key: {e}"))?;
            let mut server = axum_server::bind_rustls(listen, conf).handle(handle.clone());
            server
                .http_builder()
                .http1()
                .header_read_timeout(head_timeout);
            announce(&handle, &base).await;
            server.serve(app).await
        }
        None => {
            let mut server = axum_server::bind(listen).handle(handle.clone());
            server
                .http_builder()
                .http1()
                .header_read_timeout(head_timeout);
            announce(&handle, &base).await;
            server.serve(app).await
        }
    };
    pruner.abort();
    worker.abort();
    r.map_err(|e| format!("listen {listen}: {e}"))
}

async fn announce(handle: &axum_server::Handle<SocketAddr>, base: &str) {
    let h = handle.clone();
    let base = base.to_owned();
    tokio::spawn(async move {
        if let Some(addr) = h.listening().await {
            tracing::info!(%addr, "listening");
            println!("eseal-server listening on {addr} — {base}/");
        }
    });
}

/// Every minute: refreshes this process's heartbeat, completes or rolls back signings cut
/// short (`recovery`), and removes expired server state (sessions, pending UKey signings) and
/// the platform's expired short-lived records (UKey challenges, captchas, SMS codes,
/// revocation confirmations, open-API nonces, used serial numbers).
async fn prune(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let r = state
            .blocking(|s| {
                eseal_server::recovery::heartbeat(s)?;
                eseal_server::recovery::repair(s)?;
                s.db.kv_prune(s.clock.now())?;
                s.platform.prune_expired()?;
                Ok(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e.detail, "maintenance round failed; next in a minute");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
