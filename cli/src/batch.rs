//! Batch signing: many files (or folders of them) with one seal, on all cores, a progress
//! line on a terminal and a summary table at the end. One bad file does not stop the batch
//! nor touch the others (each output is written atomically); the exit status is the worst.

use super::CliError;
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
        return Err(CliError(format!("no .{ext} files to sign")));
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

/// Signs every file into `out_dir` (same file name) with `sign_one(input, output)`, on all
/// cores; `progress` shows a line on stderr when it is a terminal. Returns the outcomes in
/// input order.
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
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<String, String>>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let show = !quiet && std::io::stderr().is_terminal();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(input) = files.get(i) else { break };
                    let r = match input.file_name() {
                        None => Err(format!("{}: not a file name", input.display())),
                        Some(name) => {
                            let output = out_dir.join(name);
                            let same = input
                                .parent()
                                .and_then(|p| p.canonicalize().ok())
                                .is_some_and(|p| p == out_canon);
                            if same {
                                Err("the output folder holds the input: it would be overwritten"
                                    .into())
                            } else {
                                sign_one(input, &output).map_err(|e| e.0)
                            }
                        }
                    };
                    if let Ok(mut g) = results.lock() {
                        g[i] = Some(r);
                    }
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if show {
                        eprint!(
                            "\r\x1b[2K[{n}/{}] {}",
                            files.len(),
                            input.file_name().unwrap_or_default().to_string_lossy()
                        );
                    }
                }
            });
        }
    });
    if show {
        eprintln!();
    }
    let results = results.into_inner().unwrap_or_default();
    Ok(files
        .iter()
        .zip(results)
        .map(|(f, r)| Outcome {
            input: f.clone(),
            result: r.unwrap_or_else(|| Err("not run".into())),
        })
        .collect())
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
