//! Leak or allocator? (issue 21) The server's resident memory grew over rounds of concurrent
//! uploads (174 → 220 → 276 MiB). This test tells the two apart: it runs the server's router
//! in this process under a global allocator that counts the bytes live on the heap, sends
//! rounds of 16 concurrent 6 MB uploads (each document deleted after its round), and checks
//! that the bytes in use come back to the same level after every round. What the counter
//! does not see — pages glibc keeps in its per-thread arenas after the bytes were freed — is
//! allocator retention, bounded by the arena cap the server sets at start (`main.rs`), and
//! measured on the real process in `faults.rs` `concurrent_uploads_memory_plateaus`.
//!
//! One test in this binary on purpose: every thread of the process allocates through the
//! counter.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicIsize, Ordering};

use common::*;
use eseal_server::config::Config;
use eseal_server::state::AppState;

/// The system allocator, counting the bytes it has handed out and not had back.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed to `System` unchanged; only the byte count is kept beside.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System::alloc`'s.
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: as above.
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        }
        q
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn live_kib() -> isize {
    LIVE.load(Ordering::SeqCst) / 1024
}

/// Rounds of uploads; the first ones fill the caches and pools that are kept on purpose.
const ROUNDS: usize = 10;

#[test]
fn heap_in_use_comes_back_after_every_round_of_uploads() {
    let dir = temp_dir("heap");
    let cfg = Config {
        data_dir: dir.clone(),
        ..Config::default()
    };
    let st = AppState::open(cfg).expect("open");
    eseal_server::demo::seed(&st).expect("demo");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = eseal_server::api::app(st).into_make_service_with_connect_info::<SocketAddr>();
    rt.spawn(async move { axum::serve(listener, app).await });

    let base = format!("http://{addr}");
    let user = Api::new(&base).login(SEAL_USER, DEMO_PASSWORD);
    let big = {
        let mut b = eseal::samples::sample_pdf(3, "big");
        b.extend(std::iter::repeat_n(b'%', 6_000_000));
        b.push(b'\n');
        b
    };
    let mut live = Vec::new();
    for n in 0..ROUNDS {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                // A fresh client each: no connection pool carried over between rounds.
                let u = Api::new(&base).with_token(user.token.as_deref().unwrap());
                let b = big.clone();
                std::thread::spawn(move || {
                    let r = u.upload(
                        &format!("/api/v1/documents?name=h{n}-{i}.pdf"),
                        "application/pdf",
                        b,
                    );
                    assert_eq!(r.status, 201, "{}", r.text());
                    r.json()["id"].as_str().unwrap().to_owned()
                })
            })
            .collect();
        let ids: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let u = Api::new(&base).with_token(user.token.as_deref().unwrap());
        for id in ids {
            assert_eq!(u.delete(&format!("/api/v1/documents/{id}")).status, 204);
        }
        drop(u);
        // Connections the server still holds close with their clients; give it a moment.
        std::thread::sleep(std::time::Duration::from_millis(300));
        live.push(live_kib());
    }
    eprintln!("heap in use after each round of 16 × 6 MB uploads (KiB): {live:?}");
    // No leak: after the third round the bytes in use stay within 1 MiB of it (112 more
    // uploads of 6 MB; a leak of one upload's body, or 10 KB an upload, would show).
    let base3 = live[2];
    for (i, k) in live.iter().enumerate().skip(3) {
        assert!(
            (k - base3).abs() < 1024,
            "round {}: {k} KiB in use, round 3: {base3} KiB ({live:?})",
            i + 1
        );
    }
    drop(rt);
}
