# crates.io packages (issue 17): the crates meant for crates.io — eseal (core), eseal-soft-ukey,
# eseal-cli — package with their metadata (no path-only dependency, README and licence files)
# and without the tests and vectors, which stay in the repository. `--no-verify`: the build of
# the packaged sources is the workspace build the test command does anyway; `--offline`: the
# dependencies are those of Cargo.lock, already fetched. A few seconds. Sourced by scripts/test.sh.
echo "== cargo package (eseal, eseal-soft-ukey, eseal-cli)"
ESEAL_CRATES=(eseal eseal-soft-ukey eseal-cli)
# (cargo warns that each crate's tests are not packaged: that is the point, so those lines go.)
if ! cargo package --quiet --offline --no-verify --allow-dirty "${ESEAL_CRATES[@]/#/-p}" >"$CARGO_TARGET_DIR/package.log" 2>&1; then
    cat "$CARGO_TARGET_DIR/package.log"; echo "cargo package: FAILED"; return 1 2>/dev/null || exit 1
fi
grep -v "^warning: ignoring test" "$CARGO_TARGET_DIR/package.log" || true
for c in "${ESEAL_CRATES[@]}"; do
    crate="$CARGO_TARGET_DIR/package/$c-0.1.0.crate"
    files="$(tar -tzf "$crate")" || { echo "cargo package: $c was not packaged"; return 1 2>/dev/null || exit 1; }
    for need in Cargo.toml README.md LICENSE-APACHE LICENSE-MIT src/; do
        grep -q "^$c-0.1.0/$need" <<<"$files" || { echo "cargo package: $c lacks $need"; return 1 2>/dev/null || exit 1; }
    done
    if grep -E "^$c-0.1.0/(tests|vectors|fuzz)/" <<<"$files"; then
        echo "cargo package: $c carries test files"; return 1 2>/dev/null || exit 1
    fi
    size=$(stat -c %s "$crate")
    [ "$size" -lt $((2 * 1024 * 1024)) ] || { echo "cargo package: $c is $size bytes"; return 1 2>/dev/null || exit 1; }
    echo "cargo package: $c-0.1.0.crate $((size / 1024)) KiB, $(wc -l <<<"$files") files"
done
unset ESEAL_CRATES crate files need size
