//! Replays the minimised crashers kept in `core/fuzz/regressions/TARGET/` through the same
//! code as the cargo-fuzz target TARGET (`core/fuzz/targets.rs`), on stable, in the default
//! test thread (2 MiB of stack: a recursion over input without a depth bound overflows it).
//! A new finding of `scripts/fuzz-long.sh` is minimised (`cargo +nightly fuzz tmin`) and
//! copied here; see docs/robustness.md.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_regression_input_returns_normally() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (name, run) in targets::TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            eprintln!("{name}: {}", f.display());
            run(&data);
            replayed += 1;
        }
    }
    assert!(replayed >= 8, "only {replayed} regression inputs found");
}

#[test]
fn every_target_has_a_regression_folder() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for (name, _) in targets::TARGETS {
        assert!(root.join(name).is_dir(), "missing fuzz/regressions/{name}");
    }
}
