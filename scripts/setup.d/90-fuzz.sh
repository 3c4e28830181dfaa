# Fuzzing (issue 21): cargo-fuzz for the nightly toolchain, when one is installed. Built once
# into ~/.cargo/bin (cached; skipped when `cargo fuzz` already answers). Without nightly the
# fuzz smoke in scripts/test.d/60-fuzz.sh says so and is skipped; the regression corpus runs
# on stable in any case (core/tests/fuzz_regressions.rs). ESEAL_FUZZ_SMOKE=0: not installed.
if [ "${ESEAL_FUZZ_SMOKE:-1}" = 0 ]; then
    :  # fuzz smoke off (scripts/test.d/60-fuzz.sh)
elif rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
        echo "setup: cargo +nightly install cargo-fuzz"
        cargo +nightly install --locked --quiet cargo-fuzz
    fi
else
    echo "setup: no nightly toolchain (rustup toolchain list): fuzz targets will not run"
fi
