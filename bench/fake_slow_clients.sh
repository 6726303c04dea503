#!/usr/bin/env bash
# Memory of vpcep-fake held by clients that ask for a 1000-endpoint page and never read
# it (issue 19 item 11): RSS (VmRSS) of the fake when ready, with CLIENTS such clients
# connected, and 3 s after they left. Each binary given is measured in turn (default: a
# fresh release build); loopback only; every fake is stopped at the end.
#
#   bench/fake_slow_clients.sh [BIN...]   # N=100000 CLIENTS=800 QUERY='limit=1000'
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${N:-100000}
CLIENTS=${CLIENTS:-800}
QUERY=${QUERY:-limit=1000}

if [ $# -eq 0 ]; then
    cargo build --release -p vpcep-fake
    set -- "${CARGO_TARGET_DIR:-$ROOT/target}/release/vpcep-fake"
fi

. "$ROOT/bench/fake_common.sh"

rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

for BIN in "$@"; do
    # A cap above CLIENTS where the binary has one (older ones have no such flag).
    extra=()
    if "$BIN" --help | grep -q -- --max-connections; then
        extra=(--max-connections $((CLIENTS + 100)))
    fi
    fake_start "$BIN" --listen 127.0.0.1:0 --no-auth --generate "$N" "${extra[@]}" \
        || { echo "fake did not start" >&2; exit 1; }
    sleep 3 # background work after listening (JSON text, filter columns)
    ready=$(rss_mib "$FAKE_PID")
    # The clients connect, send their request, read nothing (small receive buffers), stay
    # 3 s, then close; prints the fake's RSS (MiB) while they are connected.
    connected=$(python3 - "$URL" "$CLIENTS" "$QUERY" "$FAKE_PID" <<'PY'
import socket, sys, time
url, clients, query, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
host, port = url.removeprefix("http://").split(":")
target = f"/v1/295dacf46a4842fcbf7844dc2dc2489d/vpc-endpoints?{query}"
socks = []
for _ in range(clients):
    s = socket.create_connection((host, int(port)))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    socks.append(s)
time.sleep(3)
with open(f"/proc/{pid}/status") as status:
    rss = next(l for l in status if l.startswith("VmRSS")).split()[1]
print(int(rss) // 1024)
for s in socks:
    s.close()
PY
)
    sleep 3
    after=$(rss_mib "$FAKE_PID")
    echo "$(basename "$BIN"): $N endpoints, $CLIENTS clients not reading '$QUERY': RSS ${ready} MiB ready, ${connected} MiB connected, ${after} MiB 3 s after they left"
    fake_stop
done
