#!/usr/bin/env bash
# Runs every cargo-fuzz target of core/fuzz (issue 21) for a while and prints, per target,
# executions per second, coverage (libFuzzer `cov:` = covered edges, `ft:` = features) and
# corpus size. Needs a nightly toolchain and cargo-fuzz (scripts/setup.d/90-fuzz.sh).
#
#   scripts/fuzz-long.sh [SECONDS_PER_TARGET] [TARGET...]     default: 600 s, every target
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
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/eseal/target}/fuzz"
shared="$root/../shared/vectors"
[ -d "$shared" ] || shared="/work/shared/vectors"
# Release build with debug assertions (integer overflow is a finding) and without ASan: the
# parsers are safe Rust (`#![deny(unsafe_code)]`; the exceptions, the SKF loader and fs::MappedFile, are not
# reachable from any target), so ASan would only halve the executions per second and lengthen
# the build.
flags=(--fuzz-dir core/fuzz --target-dir "$target_dir" -O -a --sanitizer none)
all=(ses_parse ses_verify certificate cms pdf_verify ofd_package stamp_import keyword_text open_auth)
targets=("${@:-${all[@]}}")

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly' || ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: SKIPPED — needs a nightly toolchain and cargo-fuzz (scripts/setup.d/90-fuzz.sh)"
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

echo "== fuzz: building ${#targets[@]} targets (nightly, release, sanitizer coverage)"
for t in "${targets[@]}"; do
    cargo +nightly fuzz build "${flags[@]}" "$t"
done
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
    echo "== fuzz: $t for ${seconds}s ($(find "$seed" -type f | wc -l) seeds, $(find "$corpus" -type f | wc -l) in corpus)"
    if ! cargo +nightly fuzz run "${flags[@]}" "$t" \
        "$corpus" "$seed" "core/fuzz/regressions/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=1048576 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1; then
        echo "fuzz: $t FAILED — see $log and $artifacts/"
        grep -E 'ERROR|panicked|SUMMARY' "$log" | head -n 5 || true
        status=1
    fi
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    eps=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | grep -Eo 'cov: [0-9]+' | grep -Eo '[0-9]+' || echo "?")
    ft=$(echo "$last" | grep -Eo 'ft: [0-9]+' | grep -Eo '[0-9]+' || echo "?")
    corp=$(echo "$last" | grep -Eo 'corp: [0-9]+' | grep -Eo '[0-9]+' || echo "?")
    summary+=("$(printf '%-14s %10s runs %7s exec/s  cov %6s  ft %7s  corpus %6s' "$t" "$runs" "$eps" "$cov" "$ft" "$corp")")
done
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}" | tee "$cache/summary.txt"
exit "$status"
