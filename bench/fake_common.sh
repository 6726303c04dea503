# Sourced by the fake's benchmark scripts (fake_load.sh, fake_size.sh,
# fake_slow_clients.sh): start and stop one vpcep-fake on a free loopback port.
#
#   fake_start CMD...   runs CMD (the binary and its arguments, `--listen 127.0.0.1:0`
#                       among them), waits until it prints "listening on": sets FAKE_PID,
#                       URL, READY_MS (from launch); returns 1 if it exits first
#   fake_stop           stops it (also done on exit)
WORK=$(mktemp -d)
FAKE_PID=""
fake_stop() {
    if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
    FAKE_PID=""
}
trap 'fake_stop; rm -rf "$WORK"' EXIT INT TERM

fake_start() {
    local start_ns
    rm -f "$WORK/out" "$WORK/err"
    start_ns=$(date +%s%N)
    "$@" >"$WORK/out" 2>"$WORK/err" &
    FAKE_PID=$!
    URL=""
    while [ -z "$URL" ]; do
        if ! kill -0 "$FAKE_PID" 2>/dev/null; then
            tail -n 3 "$WORK/err" >&2
            FAKE_PID=""
            return 1
        fi
        URL=$(sed -n 's/^listening on //p' "$WORK/out" 2>/dev/null | head -n1)
        [ -n "$URL" ] || sleep 0.01
    done
    READY_MS=$(( ($(date +%s%N) - start_ns) / 1000000 ))
}
