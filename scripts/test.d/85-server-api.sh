# The reference server against its own OpenAPI document (issue 13): schemathesis generates
# requests for every operation from the schema (examples, coverage, fuzzing and stateful
# phases, a fixed number of examples per operation and a fixed seed, so the run is bounded)
# as three identities of the demo unit, and checks that no response is a server error and that
# every status, content type and body conforms to the document. Sourced by scripts/test.sh
# (CARGO_TARGET_DIR set, setup done); a failure ends the test command with a non-zero status.
server_api_check() {
    local data port base pid status=0 st="${ESEAL_VENV:-$HOME/.cache/eseal/venv}/bin/st" hooks="$PWD/server-example/tests"
    cargo build --quiet -p eseal-server || return 1
    data="$(mktemp -d)"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    base="http://127.0.0.1:$port"
    ESEAL_DATA_DIR="$data" ESEAL_LISTEN="127.0.0.1:$port" ESEAL_OPERATOR="ops:ops-st-password" ESEAL_LOG=warn \
        "$CARGO_TARGET_DIR/debug/eseal-server" --demo >"$data/server.out" 2>"$data/server.log" &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
    token() {
        curl -s "$base/api/v1/auth/login/$1" -H 'Content-Type: application/json' -d "$2" |
            python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])'
    }
    for who in seal-admin app-admin operator; do
        local t
        case "$who" in
            seal-admin) t="$(token password '{"phone":"13800000003","password":"Demo@2026"}')" ;;
            app-admin) t="$(token password '{"phone":"13800000001","password":"Demo@2026"}')" ;;
            operator) t="$(token operator '{"name":"ops","password":"ops-st-password"}')" ;;
        esac
        echo "== schemathesis as $who"
        local attempt
        for attempt in 1 2; do
            status=0
            (cd "$data" && PYTHONPATH="$hooks" SCHEMATHESIS_HOOKS=schemathesis_hooks "$st" run "$base/api/openapi.json" -H "Authorization: Bearer $t" \
                --exclude-path /api/v1/auth/logout \
                --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
                --max-examples 15 --seed 13 --workers 2 --no-color --request-timeout 60 \
                >"$data/st-$who.txt" 2>&1) || status=1
            # A crash inside schemathesis's own case generator (a "Runtime Error" with no failed
            # check, seen once as a Hypothesis FlakyFailure while drawing a body) is run again once;
            # a failed check never is.
            if [ "$status" -ne 0 ] && [ "$attempt" -eq 1 ] && grep -q 'Runtime Error' "$data/st-$who.txt" \
                && ! grep -q '^=* FAILURES =*$' "$data/st-$who.txt"; then
                echo "schemathesis crashed in its generator (no failed check): running it again"
                continue
            fi
            break
        done
        sed -n '/SUMMARY/,$p' "$data/st-$who.txt"
        [ "$status" -eq 0 ] || { cat "$data/st-$who.txt" | head -200; break; }
    done
    kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    [ "$status" -eq 0 ] && rm -rf "$data"
    return "$status"
}
server_api_check || { echo "server API (schemathesis): FAILED"; return 1 2>/dev/null || exit 1; }
