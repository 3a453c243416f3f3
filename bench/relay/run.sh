#!/usr/bin/env bash
# Relay throughput on loopback: publishes weft (Release), starts one `weft relay` (per-client rate limit lifted,
# no STUN), and pushes 1400-byte packets from one relay client to another through it for a fixed time.
# Prints a markdown table: packets/s and Gbit/s delivered, relay CPU (cores busy) and cores per Gbit/s.
#
#   bench/relay/run.sh              # 10 s, 1400-byte packets
#   bench/relay/run.sh 20 1400,512  # 20 s per size, two sizes
#
# Environment: WEFT_BENCH_ARTIFACTS (build output; defaults to a folder in the temp dir that is removed).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-10}"
sizes="${2:-1400}"

work="$(mktemp -d "${TMPDIR:-/tmp}/weft-relay-bench.XXXXXX")"
artifacts="${WEFT_BENCH_ARTIFACTS:-$work/artifacts}"
relay_pid=""
cleanup() {
    if [[ -n "$relay_pid" ]] && kill -0 "$relay_pid" 2>/dev/null; then
        kill "$relay_pid" 2>/dev/null || true
        wait "$relay_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "publishing weft (Release) ..." >&2
dotnet publish "$repo/src/Weft/Weft.csproj" -c Release -o "$work/weft" --artifacts-path "$artifacts" -v quiet -nologo >&2
dotnet build "$repo/bench/relay/Weft.RelayBench/Weft.RelayBench.csproj" -c Release --artifacts-path "$artifacts" -v quiet -nologo >&2

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$work/weft/weft" relay --listen "http://127.0.0.1:$port" --no-stun --data-dir "$work/relay" \
    --client-rate 100000000000 >"$work/relay.log" 2>&1 &
relay_pid=$!

key=""
for _ in $(seq 1 300); do
    key="$(grep -oE 'relay key [0-9a-f]{64}' "$work/relay.log" | awk '{print $3}' || true)"
    [[ -n "$key" ]] && break
    kill -0 "$relay_pid" 2>/dev/null || { cat "$work/relay.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$key" ]] || { echo "relay did not start" >&2; cat "$work/relay.log" >&2; exit 1; }

echo "| packet bytes | seconds | packets/s | Gbit/s | relay CPU (cores) | cores per Gbit/s | sender refused |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
IFS=',' read -r -a size_list <<<"$sizes"
for size in "${size_list[@]}"; do
    dotnet "$artifacts/bin/Weft.RelayBench/release/Weft.RelayBench.dll" \
        --relay "http://127.0.0.1:$port" --key "$key" --pid "$relay_pid" --seconds "$seconds" --size "$size"
done
echo
echo "relay drops: $(curl -s "http://127.0.0.1:$port/metrics" | grep -E '^weft_relay_drops_total' | grep -v ' 0$' | tr '\n' ' ')"
