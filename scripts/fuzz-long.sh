#!/usr/bin/env bash
# Runs every cargo-fuzz target of core/fuzz (issue 21) for a while and prints, per target,
# executions per second, coverage (libFuzzer `cov:` = covered edges, `ft:` = features),
# corpus size and crashes. Needs a nightly toolchain and cargo-fuzz (scripts/setup.d/90-fuzz.sh).
#
#   scripts/fuzz-long.sh [SECONDS_PER_TARGET] [TARGET...]     default: 600 s, every target
#
# ESEAL_FUZZ_BUILD chooses the build, each in its own target folder under CARGO_TARGET_DIR:
#   release (default) — optimised with debug assertions (`-O -a`, 16 codegen units): the long run;
#   dev               — unoptimised (`--dev`): the smoke in the test command
#                       (scripts/test.d/60-fuzz.sh), far cheaper to build from nothing.
# Every target is built by one cargo invocation (they share the whole eseal crate).
#
# Corpora live outside the repository, in $ESEAL_CACHE/fuzz/corpus/TARGET (kept between
# runs), seeded from vectors/, from ../shared/vectors/ when present (read in place, never
# copied into the repository) and from the regression corpus core/fuzz/regressions/TARGET.
# A crash is written to $ESEAL_CACHE/fuzz/artifacts/TARGET/ and ends the script non-zero:
# minimise it (`cargo +nightly fuzz tmin TARGET FILE`), add it to core/fuzz/regressions/TARGET
# so that `cargo test -p eseal --test fuzz_regressions` replays it on stable, then fix it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-600}"
shift || true
cache="${ESEAL_CACHE:-$HOME/.cache/eseal}/fuzz"
build="${ESEAL_FUZZ_BUILD:-release}"
shared="$root/../shared/vectors"
[ -d "$shared" ] || shared="/work/shared/vectors"
# Without ASan (`--sanitizer none`): the parsers are safe Rust (`#![deny(unsafe_code)]`; the
# exceptions, the SKF loader and fs::MappedFile, are reachable from no target), so ASan would
# only halve the executions per second and lengthen the build.
case "$build" in
    release)
        # Debug assertions on: an integer overflow is a finding. 16 codegen units instead of
        # cargo-fuzz's 1: the build is the cost on a shared 2-core machine (docs/robustness.md).
        target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}/fuzz"
        flags=(--fuzz-dir core/fuzz --target-dir "$target_dir" -O -a --sanitizer none --codegen-units 16)
        timeout=30
        ;;
    dev)
        target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}/fuzz-dev"
        flags=(--fuzz-dir core/fuzz --target-dir "$target_dir" --dev --sanitizer none)
        # Unoptimised code on a loaded machine: a unit slower than the release build's 30 s
        # is not yet a finding (the long run, optimised, keeps 30 s).
        timeout=120
        ;;
    *)
        echo "fuzz: ESEAL_FUZZ_BUILD must be release or dev, not $build" >&2
        exit 2
        ;;
esac
all=(ses_parse ses_verify certificate cms pdf_verify ofd_package stamp_import keyword_text open_auth)
targets=("${@:-${all[@]}}")

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: SKIPPED — no nightly toolchain (rustup toolchain list); the regression corpus runs on stable in cargo test"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: SKIPPED — nightly is installed but cargo-fuzz is not (scripts/setup.d/90-fuzz.sh installs it)"
    exit 0
fi

# seeds TARGET — the seed files of a target, one a line.
seeds() {
    local pat
    case "$1" in
        ses_parse | ses_verify | cms) pat='.*\.(der|dat|esl)$' ;;
        certificate) pat='.*\.(der|pem|cer|crt)$' ;;
        pdf_verify) pat='.*\.pdf$' ;;
        keyword_text) pat='.*\.(pdf|ofd)$' ;;
        ofd_package) pat='.*\.ofd$' ;;
        stamp_import) pat='.*\.(png|jpe?g|gif)$' ;;
        *) return 0 ;; # seeded from its regression folder only
    esac
    find vectors "$shared" -type f -size -4M -regextype posix-extended -iregex "$pat" 2>/dev/null || true
}

echo "== fuzz: building ${#all[@]} targets ($build build, nightly, sanitizer coverage) in $target_dir"
t0=$(date +%s)
cargo +nightly fuzz build "${flags[@]}"
echo "fuzz: built in $(($(date +%s) - t0)) s"
summary=()
status=0
for t in "${targets[@]}"; do
    corpus="$cache/corpus/$t"
    seed="$cache/seed/$t"
    artifacts="$cache/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    rm -rf "$seed" && mkdir -p "$seed"
    seeds "$t" | while read -r f; do cp "$f" "$seed/$(echo "$f" | tr '/' '_')"; done
    log="$cache/$t.log"
    crashed=0
    # Regression corpus first: libFuzzer runs every input of every folder before mutating.
    if ! cargo +nightly fuzz run "${flags[@]}" "$t" \
        "$corpus" "$seed" "core/fuzz/regressions/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="$timeout" -max_len=1048576 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1; then
        crashed=1
        status=1
    fi
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    eps=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | grep -Eo 'cov: [0-9]+' | grep -Eo '[0-9]+' || echo "?")
    ft=$(echo "$last" | grep -Eo 'ft: [0-9]+' | grep -Eo '[0-9]+' || echo "?")
    corp=$(echo "$last" | grep -Eo 'corp: [0-9]+' | grep -Eo '[0-9]+' || echo "?")
    line="$(printf '%-14s %10s runs %7s exec/s  cov %6s  ft %7s  corpus %6s  crashes %s' "$t" "$runs" "$eps" "$cov" "$ft" "$corp" "$crashed")"
    echo "fuzz: $line"
    if [ "$crashed" = 1 ]; then
        echo "fuzz: $t FAILED — see $log and $artifacts/"
        grep -E 'ERROR|panicked|SUMMARY|Test unit written' "$log" | head -n 8 || true
    fi
    summary+=("$line")
done
echo "== fuzz summary ($build build, ${seconds}s per target)"
printf '%s\n' "${summary[@]}" | tee "$cache/summary-$build.txt"
exit "$status"
