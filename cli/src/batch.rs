//! Batch signing and verifying: many files (or folders of them), on all cores, a progress bar
//! on a terminal (indicatif; none with `--json` or when stderr is not a terminal) and a
//! summary table at the end. One bad file does not stop the batch nor touch the others (each
//! output is written atomically); the exit status is the worst.

use super::CliError;
use eseal::report::VerificationReport;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The files named, folders expanded to their `*.ext` files (not recursive, sorted).
pub fn expand(inputs: &[PathBuf], ext: &str) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| CliError(format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.extension()
                            .is_some_and(|x| x.to_string_lossy().eq_ignore_ascii_case(ext))
                })
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        return Err(CliError(format!("no .{ext} files found")));
    }
    Ok(out)
}

/// Whether `inputs` / `output` ask for a batch: several files, or a folder.
pub fn is_batch(inputs: &[PathBuf]) -> bool {
    inputs.len() > 1 || inputs.iter().any(|p| p.is_dir())
}

/// One file's result.
pub struct Outcome {
    pub input: PathBuf,
    pub result: Result<String, String>,
}

/// Runs `job` on every file on all cores, with a progress bar on stderr when it is a terminal
/// and `quiet` is off (indicatif). Returns the results in input order. This is the one batch
/// runner: signing and verifying both go through it.
pub fn for_each<T: Send>(
    files: &[PathBuf],
    quiet: bool,
    job: &(dyn Fn(&Path) -> T + Sync),
) -> Vec<T> {
    let bar = if !quiet && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} eta {eta} {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..files.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len())
        .max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(input) = files.get(i) else { break };
                    let r = job(input);
                    if let Ok(mut g) = results.lock() {
                        g[i] = Some(r);
                    }
                    bar.set_message(
                        input
                            .file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                    );
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.expect("every file was run"))
        .collect()
}

/// Signs every file into `out_dir` (same file name) with `sign_one(input, output)` through
/// [`for_each`]. Returns the outcomes in input order.
pub fn run(
    files: &[PathBuf],
    out_dir: &Path,
    quiet: bool,
    sign_one: &(dyn Fn(&Path, &Path) -> Result<String, CliError> + Sync),
) -> Result<Vec<Outcome>, CliError> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| CliError(format!("{}: {e}", out_dir.display())))?;
    let out_canon = out_dir
        .canonicalize()
        .unwrap_or_else(|_| out_dir.to_owned());
    let results = for_each(files, quiet, &|input| match input.file_name() {
        None => Err(format!("{}: not a file name", input.display())),
        Some(name) => {
            let same = input
                .parent()
                .and_then(|p| p.canonicalize().ok())
                .is_some_and(|p| p == out_canon);
            if same {
                Err("the output folder holds the input: it would be overwritten".into())
            } else {
                sign_one(input, &out_dir.join(name)).map_err(|e| e.0)
            }
        }
    });
    Ok(files
        .iter()
        .zip(results)
        .map(|(f, result)| Outcome {
            input: f.clone(),
            result,
        })
        .collect())
}

/// How bad an exit status of a verification is, for the batch's worst: a failed check (1)
/// over unusable input (2) over intact but untrusted (3) over valid (0).
fn severity(exit: i32) -> u8 {
    match exit {
        0 => 0,
        3 => 1,
        2 => 2,
        _ => 3,
    }
}

/// Verifies every file through [`for_each`] and prints a summary table (or, with `json`, one
/// JSON document with every report); returns the worst exit status (see [`severity`]).
pub fn verify(
    files: &[PathBuf],
    json: bool,
    verify_one: &(dyn Fn(&Path) -> Result<VerificationReport, CliError> + Sync),
) -> i32 {
    let results = for_each(files, json, &|f| verify_one(f));
    let exits: Vec<i32> = results
        .iter()
        .map(|r| r.as_ref().map(|rep| rep.exit_code()).unwrap_or(2))
        .collect();
    let worst = exits
        .iter()
        .copied()
        .max_by_key(|&e| severity(e))
        .unwrap_or(0);
    let count = |e: i32| exits.iter().filter(|&&x| x == e).count();
    if json {
        let rows: Vec<serde_json::Value> = files
            .iter()
            .zip(&results)
            .zip(&exits)
            .map(|((f, r), e)| match r {
                Ok(rep) => serde_json::json!({"file": f, "exit_code": e, "report": rep}),
                Err(err) => serde_json::json!({
                    "file": f, "exit_code": e, "verdict": "unusable_input", "error": err.0
                }),
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "valid": count(0), "untrusted": count(3), "failed": count(1),
                "unusable": count(2), "exit_code": worst, "files": rows
            })
        );
        return worst;
    }
    let width = files
        .iter()
        .map(|f| f.display().to_string().chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    println!("{:<width$}  exit  result", "file");
    for ((f, r), e) in files.iter().zip(&results).zip(&exits) {
        let what = match r {
            Ok(rep) => {
                let n = rep.signatures.len();
                format!("{} ({n} signature(s))", verdict_word(*e))
            }
            Err(err) => format!("unusable: {}", err.0),
        };
        println!("{:<width$}  {e:>4}  {what}", f.display());
    }
    println!(
        "{} valid, {} intact but untrusted, {} failed, {} unusable, {} in all",
        count(0),
        count(3),
        count(1),
        count(2),
        files.len()
    );
    worst
}

fn verdict_word(exit: i32) -> &'static str {
    match exit {
        0 => "valid",
        3 => "intact, not trusted",
        2 => "unusable",
        _ => "FAILED",
    }
}

/// Prints the summary (a table, or JSON lines with `json`) and returns the exit status: 0
/// when every file was signed, 2 otherwise.
pub fn summary(outcomes: &[Outcome], json: bool) -> i32 {
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    if json {
        let rows: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| match &o.result {
                Ok(m) => serde_json::json!({"file": o.input, "ok": true, "message": m}),
                Err(e) => serde_json::json!({"file": o.input, "ok": false, "error": e}),
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"signed": outcomes.len() - failed, "failed": failed, "files": rows})
        );
    } else {
        let width = outcomes
            .iter()
            .map(|o| o.input.display().to_string().chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 60);
        println!("{:<width$}  result", "file");
        for o in outcomes {
            let (tag, msg) = match &o.result {
                Ok(m) => ("signed", m.as_str()),
                Err(e) => ("FAILED", e.as_str()),
            };
            println!("{:<width$}  {tag}  {msg}", o.input.display());
        }
        println!(
            "{} signed, {failed} failed, {} in all",
            outcomes.len() - failed,
            outcomes.len()
        );
    }
    if failed > 0 { 2 } else { 0 }
}
