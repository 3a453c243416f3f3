#!/usr/bin/env bash
# MagicDNS resolver throughput: builds the bench (Release) and runs it; the resolver listens on a free loopback
# port in the bench process, a load generator keeps queries in flight over UDP, and a markdown table of answers
# per second (and allocated bytes per answer) is printed for MagicDNS names, reverse names, NXDOMAIN, cached
# upstream answers and forwarding.
#
#   bench/dns/run.sh                 # 5 s per scenario, 2 client threads, 32 queries in flight each, 100 peers
#   bench/dns/run.sh 10 4 64 1000    # seconds, client threads, in flight per client, peers
#
# Environment: WEFT_BENCH_ARTIFACTS (build output; defaults to a folder in the temp dir that is removed).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/weft-dns-bench.XXXXXX")"
artifacts="${WEFT_BENCH_ARTIFACTS:-$work/artifacts}"
trap 'rm -rf "$work"' EXIT INT TERM

echo "building the DNS bench (Release) ..." >&2
dotnet build "$repo/bench/dns/Weft.DnsBench/Weft.DnsBench.csproj" -c Release --artifacts-path "$artifacts" -v quiet -nologo >&2
dotnet "$artifacts/bin/Weft.DnsBench/release/Weft.DnsBench.dll" "$@"
