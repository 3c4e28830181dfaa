//! Signing never loses data (issue 21), beyond the PDF case of `killed_signing.rs`: an OFD
//! signing and a batch signing killed at random moments leave every output path either
//! absent or holding a complete file that verifies, and the inputs untouched; a full disk (a
//! small tmpfs) and a folder that cannot be written give a clear error (exit 2) and no file at
//! all — neither the output nor a temporary one.

#[path = "../../core/tests/common/mod.rs"]
mod common;
#[path = "../../core/tests/ofd_support/mod.rs"]
mod ofd_support;
#[path = "../../core/tests/pdf_support/mod.rs"]
mod pdf_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_eseal");

/// A reproducible stream of kill moments spread over `whole` (and a little after it).
struct Moments(u64);

impl Moments {
    fn next(&mut self, whole: Duration) -> Duration {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        whole.mul_f64((self.0 >> 33) as f64 / (1u64 << 31) as f64 * 1.1)
    }
}

/// Runs `cmd` to the end once (how long a whole run takes here), then `rounds` times killed
/// at a random moment, calling `check` after each kill.
fn kill_at_random(mut cmd: impl FnMut() -> Command, rounds: usize, mut check: impl FnMut()) {
    let t0 = Instant::now();
    assert!(cmd().status().unwrap().success(), "a whole run succeeds");
    let whole = t0.elapsed();
    eprintln!("one whole run: {whole:?}");
    check();
    let mut m = Moments(0x0fd_ba7c4);
    for _ in 0..rounds {
        let at = m.next(whole);
        let mut child = cmd().spawn().unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
        check();
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn temporaries(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.contains(".eseal-") && n.ends_with(".tmp"))
        .collect()
}

/// An OFD fixture: a large input, the seal and its test CA's root.
struct Ofd {
    dir: common::TempDir,
    input: Vec<u8>,
}

impl Ofd {
    fn new(tag: &str, pages: usize) -> Ofd {
        let dir = common::TempDir::new(tag);
        let input = ofd_support::sample_ofd(pages);
        std::fs::write(dir.path().join("in.ofd"), &input).unwrap();
        let (seal, _, ca) = ofd_support::seal("killed-ofd", "断电测试章", [200, 0, 0]);
        std::fs::write(dir.path().join("seal.esl"), seal.der()).unwrap();
        std::fs::write(dir.path().join("root.pem"), ca.root.cert.to_pem()).unwrap();
        Ofd { dir, input }
    }
    fn p(&self, n: &str) -> PathBuf {
        self.dir.path().join(n)
    }
    fn sign(&self, out: &Path) -> Command {
        let mut c = Command::new(EXE);
        c.args(["ofd", "sign"])
            .arg(self.p("in.ofd"))
            .arg("-o")
            .arg(out)
            .arg("--seal")
            .arg(self.p("seal.esl"))
            .args([
                "--test-ca",
                "killed-ofd",
                "--stamp",
                "1,20,30",
                "--cross-page",
                "--time",
                "2026-03-01T08:00:00Z",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }
    fn verifies(&self, out: &Path) -> bool {
        let o = Command::new(EXE)
            .env("ESEAL_TRUST_DIR", "")
            .args(["ofd", "verify"])
            .arg(out)
            .arg("--trust")
            .arg(self.p("root.pem"))
            .args(["--at", "2026-04-01T00:00:00Z"])
            .output()
            .unwrap();
        o.status.code() == Some(0)
    }
}

#[test]
fn a_killed_ofd_signing_leaves_no_partial_output() {
    let f = Ofd::new("killed-ofd", 600);
    let out = f.p("out.ofd");
    let (mut absent, mut complete) = (0, 0);
    kill_at_random(
        || f.sign(&out),
        24,
        || {
            assert_eq!(
                std::fs::read(f.p("in.ofd")).unwrap(),
                f.input,
                "input untouched"
            );
            if out.exists() {
                assert!(f.verifies(&out), "an output that exists verifies");
                std::fs::remove_file(&out).unwrap();
                complete += 1;
            } else {
                absent += 1;
            }
        },
    );
    eprintln!("killed OFD signings: {absent} left no output, {complete} a complete one");
    assert!(absent > 0, "some kills landed before the rename");
    // The next run in the folder removes what the killed ones left.
    assert!(f.sign(&out).status().unwrap().success());
    assert_eq!(temporaries(f.dir.path()), Vec::<String>::new());
}

#[test]
fn a_killed_batch_signing_leaves_each_output_absent_or_complete() {
    use pdf_support::*;
    let f = Fixture::new("killed-batch");
    let inputs = f.p("in");
    let outputs = f.p("out");
    std::fs::create_dir_all(&inputs).unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("doc{i}.pdf"), make_pdf(150 + 40 * i)))
        .collect();
    for (n, b) in &files {
        std::fs::write(inputs.join(n), b).unwrap();
    }
    f.write("seal.png", &red_disc_png(64));
    let sign = || {
        let mut c = Command::new(EXE);
        c.args([
            "pdf", "sign", "in", "-o", "out", "--json", "--format", "pades",
        ])
        .args(["--key", "signer.key", "--cert", "chain.pem"])
        .args(["--picture", "seal.png", "--stamp", "1,100,100,80,80"])
        .current_dir(f.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        c
    };
    let (mut absent, mut complete) = (0, 0);
    kill_at_random(sign, 16, || {
        for (n, b) in &files {
            assert_eq!(&std::fs::read(inputs.join(n)).unwrap(), b, "{n} untouched");
            let out = outputs.join(n);
            if !out.exists() {
                absent += 1;
                continue;
            }
            let v = Command::new(EXE)
                .env("ESEAL_TRUST_DIR", "")
                .args(["pdf", "verify"])
                .arg(&out)
                .arg("--trust")
                .arg(f.p("ca.pem"))
                .output()
                .unwrap();
            assert_eq!(
                v.status.code(),
                Some(0),
                "{n}: an output that exists verifies"
            );
            std::fs::remove_file(&out).unwrap();
            complete += 1;
        }
        let extra: Vec<String> = names(&outputs)
            .into_iter()
            .filter(|n| !n.ends_with(".tmp"))
            .collect();
        assert!(
            extra.is_empty(),
            "nothing else in the output folder: {extra:?}"
        );
    });
    eprintln!("killed batch signings: {absent} outputs absent, {complete} complete");
    assert!(absent > 0 && complete > 0, "kills landed inside the batch");
    assert!(sign().status().unwrap().success());
    assert_eq!(temporaries(&outputs), Vec::<String>::new());
    assert_eq!(names(&outputs).len(), files.len());
}

/// A tmpfs mounted for one test (root only), unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, opts: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_owned()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Runs `cmd` and returns its exit code and stderr.
fn run(mut cmd: Command) -> (Option<i32>, String) {
    let o = cmd.stderr(Stdio::piped()).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_full_disk_gives_a_clear_error_and_no_file() {
    let f = Ofd::new("full-disk", 300);
    let disk = f.p("disk");
    // An 8 KiB file system (two pages, one taken) for a signed OFD of tens of KiB; without root (no mount),
    // the same through RLIMIT_FSIZE with SIGXFSZ ignored (write() then fails with EFBIG).
    let mount = Mount::tmpfs(&disk, "size=8k");
    let out = disk.join("out.ofd");
    let cmd = if mount.is_some() {
        // Half full already: a small file that must survive.
        std::fs::write(disk.join("other.txt"), b"kept").unwrap();
        f.sign(&out)
    } else {
        eprintln!("no tmpfs (not root): the full disk is RLIMIT_FSIZE");
        std::fs::create_dir_all(&disk).unwrap();
        std::fs::write(disk.join("other.txt"), b"kept").unwrap();
        let inner = f.sign(&out);
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("trap '' XFSZ; ulimit -f 8; exec \"$@\"")
            .arg("sh")
            .arg(inner.get_program())
            .args(inner.get_args());
        c
    };
    let mut cmd = cmd;
    cmd.stdout(Stdio::null());
    let (code, err) = run(cmd);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("No space left on device") || err.contains("File too large"),
        "the reason is named: {err}"
    );
    assert!(err.contains("out.ofd"), "the path is named: {err}");
    assert_eq!(names(&disk), ["other.txt"], "no output, no temporary");
    assert_eq!(std::fs::read(disk.join("other.txt")).unwrap(), b"kept");
    assert_eq!(std::fs::read(f.p("in.ofd")).unwrap(), f.input);
}

#[test]
fn an_unwritable_folder_gives_a_clear_error_and_no_file() {
    let f = Ofd::new("unwritable", 3);
    let ro = f.p("ro");
    // Root writes through file modes: a read-only tmpfs then; otherwise a 0555 folder.
    let mount = Mount::tmpfs(&ro, "ro,size=64k");
    if mount.is_none() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let out = ro.join("out.ofd");
    let mut cmd = f.sign(&out);
    cmd.stdout(Stdio::null());
    let (code, err) = run(cmd);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("Read-only file system") || err.contains("Permission denied"),
        "the reason is named: {err}"
    );
    assert!(err.contains("out.ofd"), "the path is named: {err}");
    assert!(names(&ro).is_empty(), "{:?}", names(&ro));
    // Batch into an unwritable folder: one clear error per file (exit 2), nothing written.
    let mut cmd = Command::new(EXE);
    cmd.args(["ofd", "sign"])
        .arg(f.p("in.ofd"))
        .arg(f.p("in.ofd"))
        .arg("-o")
        .arg(ro.join("batch"))
        .arg("--seal")
        .arg(f.p("seal.esl"))
        .args(["--test-ca", "killed-ofd", "--stamp", "1,20,30"])
        .stdout(Stdio::null());
    let (code, err) = run(cmd);
    assert_eq!(code, Some(2), "{err}");
    assert!(names(&ro).is_empty(), "{:?}", names(&ro));
    if mount.is_none() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755));
    }
}
