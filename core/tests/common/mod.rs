//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ has a parent")
        .to_path_buf()
}

/// `../shared/vectors/<sub>` beside the repository (real files from other producers), or
/// `None` with a message when it is absent: those tests then skip.
pub fn shared_vectors(sub: &str) -> Option<PathBuf> {
    let p = repo_root().join("../shared/vectors").join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipping: {} is absent (shared sample files from other producers)",
            p.display()
        );
        None
    }
}

/// The project's own vectors folder.
pub fn vectors() -> PathBuf {
    repo_root().join("vectors")
}

/// An outside tool that the tests need: it must be installed (scripts/setup.sh does).
pub fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "outside tool `{name}` is missing: run scripts/setup.sh"
    );
    Command::new(name)
}

/// The Python of the project's venv (pyHanko, easyofd, ...), made by scripts/setup.sh.
pub fn venv_python() -> Command {
    let venv = std::env::var("ESEAL_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/eseal/venv")
        });
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup.sh",
        py.display()
    );
    Command::new(py)
}

/// A fresh temporary directory removed on drop.
pub struct TempDir(pub PathBuf);
impl TempDir {
    pub fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "eseal-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An HTTP server on a local port answering time-stamp queries with `tsa` (as of `at`,
/// default now) until the test process ends; its URL, and the content type of each request
/// as it comes.
pub fn serve_tsa(
    tsa: eseal::tsp::TimeStampAuthority,
    at: Option<eseal::crypto::time::Time>,
) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut r = BufReader::new(stream.try_clone().unwrap());
            let mut content_type = String::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = l.strip_prefix("content-type:") {
                    content_type = v.trim().to_owned();
                }
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                continue;
            }
            let answer = tsa.respond(&body, at.unwrap_or_else(eseal::crypto::time::Time::now));
            let mut w = stream;
            let _ = write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                eseal::tsp::MEDIA_REPLY,
                answer.len()
            );
            let _ = w.write_all(&answer);
            let _ = tx.send(content_type);
        }
    });
    (url, rx)
}
