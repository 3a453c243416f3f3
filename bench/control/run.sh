#!/usr/bin/env bash
# Control-plane scale benchmark: publishes weft (Release), then runs the load generator, which starts a
# fresh `weft control` on loopback in a temporary data dir for each tailnet size and prints a markdown table.
#
#   bench/control/run.sh                      # 1,000 nodes
#   bench/control/run.sh 1000,5000,10000      # the sizes of the issue
#   bench/control/run.sh 1000 --changes 5     # further flags go to the generator (see its usage)
#
# Environment: WEFT_BENCH_ARTIFACTS (build output; defaults to a folder in the temp dir that is removed).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
sizes="${1:-1000}"
shift || true

work="$(mktemp -d "${TMPDIR:-/tmp}/weft-control-bench.XXXXXX")"
artifacts="${WEFT_BENCH_ARTIFACTS:-$work/artifacts}"
generator_pid=""
cleanup() {
    # The generator kills the servers it started when it ends; interrupted, it gets SIGINT (which it turns into
    # cancellation and an orderly stop), and any server it still has running is ended by its pid.
    if [[ -n "$generator_pid" ]] && kill -0 "$generator_pid" 2>/dev/null; then
        local servers
        servers="$(ps -o pid= --ppid "$generator_pid" || true)"
        kill -INT "$generator_pid" 2>/dev/null || true
        wait "$generator_pid" 2>/dev/null || true
        for pid in $servers; do
            kill "$pid" 2>/dev/null || true
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Each simulated node holds one socket, and so does the server for it: allow as many files as the hard limit.
ulimit -n "$(ulimit -Hn)"

echo "publishing weft (Release) ..." >&2
dotnet publish "$repo/src/Weft/Weft.csproj" -c Release -o "$work/weft" --artifacts-path "$artifacts" -v quiet -nologo >&2
dotnet build "$repo/bench/Weft.LoadGen/Weft.LoadGen.csproj" -c Release --artifacts-path "$artifacts" -v quiet -nologo >&2

dotnet "$artifacts/bin/Weft.LoadGen/release/Weft.LoadGen.dll" \
    --spawn "$work/weft/weft" --work-dir "$work/servers" --nodes "$sizes" "$@" &
generator_pid=$!
wait "$generator_pid"
