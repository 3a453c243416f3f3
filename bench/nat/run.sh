#!/usr/bin/env bash
# NAT traversal benchmark (as root): builds the NAT lab (tests/Weft.Lab) per pair of site kinds, with `weft control`
# (embedded relay + STUN) and a second `weft relay` on the lab's internet and two `weft daemon`s behind NAT routers,
# and prints markdown tables:
#   - per pair (same LAN, easy/easy, easy/hard, upnp/hard, hard/hard, UDP-blocked/easy): time from both `weft up`
#     returning to the first ping reply, to a direct path on both nodes, the first reply after the direct path is cut
#     at a router (relay fallback) and the direct path again after the restore;
#   - easy/easy throughput through the tunnel with iperf3, direct versus relayed (the relay embedded in `weft control`),
#     and the control process's CPU seconds per Gbit carried.
# Replies come from a `ping -D` stream every 50 ms and paths from each node's status polled every 50 ms, so every
# timing is good to about 50 ms (plus the lab's CPU contention: everything shares this machine's cores).
#
#   bench/nat/run.sh                       # every pair, 5 s iperf3 per path
#   bench/nat/run.sh easy-easy,hard-hard 10 3  # two pairs, 10 s iperf3, three runs per pair
#   NAT_BENCH_ARGS=--logs                  # extra Weft.NatBench flags (--logs: daemon logs to stderr, --no-throughput)
#   WEFT_EXE=path                          # use this weft instead of publishing src/Weft in Release
#   WEFT_BENCH_ARTIFACTS=dir               # build output (default: a temporary folder that is removed)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pairs="${1:-lan,easy-easy,easy-hard,upnp-hard,hard-hard,udpblocked-easy}"
seconds="${2:-5}"
runs="${3:-1}"
[[ $EUID -eq 0 ]] || { echo "bench/nat/run.sh: run as root (namespaces, TUN devices, nftables)" >&2; exit 1; }
for tool in ip nft ping iperf3; do
    command -v "$tool" >/dev/null || { echo "bench/nat/run.sh: missing $tool" >&2; exit 1; }
done
command -v miniupnpd >/dev/null || [[ -x /usr/sbin/miniupnpd ]] || echo "bench/nat/run.sh: no miniupnpd (Debian miniupnpd-nftables): upnp-hard will fail" >&2

work="$(mktemp -d "${TMPDIR:-/tmp}/weft-nat-bench.XXXXXX")"
artifacts="${WEFT_BENCH_ARTIFACTS:-$work/artifacts}"
trap 'rm -rf "$work"' EXIT INT TERM

if [[ -z "${WEFT_EXE:-}" ]]; then
    echo "publishing weft (Release) ..." >&2
    dotnet publish "$repo/src/Weft/Weft.csproj" -c Release -o "$work/weft" --artifacts-path "$artifacts" -v quiet -nologo >&2
    export WEFT_EXE="$work/weft/weft"
fi
echo "building Weft.NatBench (Release) ..." >&2
dotnet build "$repo/bench/nat/Weft.NatBench/Weft.NatBench.csproj" -c Release --artifacts-path "$artifacts" -v quiet -nologo >&2

# The labs it builds are named wl<hex> and removed when each pair ends (or swept by the next run after a crash).
dotnet "$artifacts/bin/Weft.NatBench/release/Weft.NatBench.dll" --pairs "$pairs" --seconds "$seconds" --runs "$runs" ${NAT_BENCH_ARGS:-}
