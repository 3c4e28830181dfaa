//! The business rules of the platform over the in-memory store (the same cases run over
//! SQLite and PostgreSQL in `server-example/tests/platform_rules.rs`).

mod platform_rules {
    pub mod cases;
}

use std::sync::Arc;

use eseal::platform::{MemoryStore, Store};

#[test]
fn rules_over_the_memory_store() {
    platform_rules::cases::run_all(&|| Arc::new(MemoryStore::new()) as Arc<dyn Store>);
}

/// Every allowed cell of the permission matrix cites the manual verbatim (when the manual is
/// at hand: beside the repository in `../shared/seed/`, or at `ESEAL_MANUAL`) or a decision
/// written in `docs/platform-rules.md`; a denied cell cites nothing.
#[test]
fn every_matrix_cell_cites_its_line() {
    use eseal::platform::perm::{self, Action, Role};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let rules = std::fs::read_to_string(root.join("docs/platform-rules.md")).expect("rules doc");
    let manual = std::env::var("ESEAL_MANUAL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/seed/platform-user-manual.zh.txt"));
    let manual = std::fs::read_to_string(&manual).ok();
    if manual.is_none() {
        eprintln!("manual not found: its citations are checked for form only");
    }
    let mut cells = 0;
    for role in Role::ALL {
        for action in Action::ALL {
            let Some(c) = perm::source(role, action) else {
                assert!(!perm::allowed(role, action));
                continue;
            };
            cells += 1;
            assert!(!c.text.is_empty(), "{role:?} × {action:?}");
            if c.clause == "docs" {
                assert!(
                    rules.contains(&format!("**{}**", c.text)),
                    "{role:?} × {action:?}: no decision '{}' in docs/platform-rules.md",
                    c.text
                );
                continue;
            }
            let Some(manual) = &manual else { continue };
            assert!(
                clause_text(manual, c.clause).contains(c.text),
                "{role:?} × {action:?}: §{} does not say '{}'",
                c.clause,
                c.text
            );
        }
    }
    assert!(cells > 43, "{cells} allowed cells");
}

/// The text of clause `n` (e.g. `2.4.1`) of the manual: from its heading in the body (the
/// last line starting `n. `; the first is the table of contents) to the next heading.
fn clause_text<'a>(manual: &'a str, n: &str) -> &'a str {
    let is_heading = |l: &str| {
        let num = l.split(' ').next().unwrap_or("");
        num.len() > 2
            && num.ends_with('.')
            && num
                .trim_end_matches('.')
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let lines: Vec<(usize, &str)> = manual
        .split_inclusive('\n')
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l))
        })
        .collect();
    let prefix = format!("{n}. ");
    let Some(i) = lines.iter().rposition(|(_, l)| l.starts_with(&prefix)) else {
        panic!("no clause {n} in the manual");
    };
    let end = lines[i + 1..]
        .iter()
        .find(|(_, l)| is_heading(l))
        .map_or(manual.len(), |(s, _)| *s);
    &manual[lines[i].0..end]
}
