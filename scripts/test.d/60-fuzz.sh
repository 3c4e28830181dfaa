# Fuzz smoke (issue 21): each cargo-fuzz target of core/fuzz for 15 s (8 targets: two minutes
# once built; the first build of the instrumented targets takes longer), when a
# nightly toolchain and cargo-fuzz are installed; says so and skips otherwise. The regression
# corpus runs on stable in `cargo test` whatever happens here. Longer runs:
# scripts/fuzz-long.sh. Sourced by scripts/test.sh; a crash ends the test command non-zero.
bash scripts/fuzz-long.sh "${ESEAL_FUZZ_SMOKE_SECONDS:-15}" || { echo "fuzz: FAILED"; return 1 2>/dev/null || exit 1; }
