# The C, Python and Node bindings (issue 6), each with its own runner, and the cross-language
# check: C signs, then Python and Node verify C's and leave their own, then C and Python
# verify the others'. Sourced by scripts/test.sh (CARGO_TARGET_DIR set, setup done); the suites run
# in scripts/bindings-test.sh; a failure ends the test command with a non-zero status.
bash scripts/bindings-test.sh || { echo "bindings: FAILED"; return 1 2>/dev/null || exit 1; }
