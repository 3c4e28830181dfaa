# Fuzz smoke (issue 21): every cargo-fuzz target of core/fuzz for ESEAL_FUZZ_SMOKE_SECONDS
# (default 15 s) over its seed corpus and regression folder, when a nightly toolchain with
# cargo-fuzz is installed (scripts/fuzz-long.sh says SKIPPED, and why, when not). On by
# default; ESEAL_FUZZ_SMOKE=0 turns it off. The targets are built unoptimised
# (ESEAL_FUZZ_BUILD=dev), once for all, in $CARGO_TARGET_DIR/fuzz-dev: the cheap build
# (docs/robustness.md, "Figures"). A crash ends the test command non-zero. The regression
# corpus also runs on stable in `cargo test` whatever happens here. Longer runs:
# scripts/fuzz-long.sh. Sourced by scripts/test.sh.
if [ "${ESEAL_FUZZ_SMOKE:-1}" = 0 ]; then
    echo "== fuzz smoke: SKIPPED (ESEAL_FUZZ_SMOKE=0; the regression corpus runs in cargo test)"
else
    echo "== fuzz smoke"
    ESEAL_FUZZ_BUILD=dev bash scripts/fuzz-long.sh "${ESEAL_FUZZ_SMOKE_SECONDS:-15}" \
        || { echo "fuzz: FAILED"; return 1 2>/dev/null || exit 1; }
fi
