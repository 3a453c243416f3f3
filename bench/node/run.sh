#!/usr/bin/env bash
# Node daemon benchmark (as root): `weft control` in a hub namespace and two `weft daemon`s (alpha, bravo) in
# namespaces of their own. Measures, on alpha:
#   - the time from `weft up` to Running, and to the first ping reply from bravo through the tunnel
#     (registration, first netmap, WireGuard configuration and the first handshake included);
#   - the daemon's resident memory idle with one peer, and again after 100 more nodes joined the tailnet
#     (registered through the real control protocol by Weft.NodeBench; offline peers, no data plane).
# Prints a markdown table.
#   bench/node/run.sh [PEERS]      # default 100
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peers="${1:-100}"
[[ $EUID -eq 0 ]] || { echo "bench/node/run.sh: run as root (namespaces, TUN devices)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/weft-node-bench.XXXXXX")"
tag=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
hub=wnb$tag-hub
nodes=(alpha bravo)
url=http://10.199.0.1:8080
cleanup() {
    for ns in "$hub" "wnb$tag-alpha" "wnb$tag-bravo"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    done
    sleep 1
    for ns in "$hub" "wnb$tag-alpha" "wnb$tag-bravo"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_for() {
    local what=$1; shift
    for _ in $(seq 600); do "$@" && return 0; sleep 0.1; done
    echo "bench/node/run.sh: gave up waiting for $what" >&2
    return 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

echo "publishing weft and building Weft.NodeBench (Release) ..." >&2
dotnet publish "$repo/src/Weft/Weft.csproj" -c Release -o "$work/weft" --artifacts-path "$work/artifacts" -v quiet -nologo >&2
dotnet build "$repo/bench/node/Weft.NodeBench/Weft.NodeBench.csproj" -c Release -o "$work/nodebench" --artifacts-path "$work/artifacts" -v quiet -nologo >&2
weft=$work/weft/weft

ip netns add "$hub"
ip -n "$hub" link set lo up
ip -n "$hub" addr add 10.199.0.1/32 dev lo
ip netns exec "$hub" sysctl -q -w net.ipv4.ip_forward=1
# The registration rate limit is for the internet; here one source registers the whole benchmark tailnet.
echo '{ "registerBurst": 100000, "registerPerMinute": 100000 }' >"$work/control.json"
ip netns exec "$hub" "$weft" control --config "$work/control.json" --data-dir "$work/control" --listen "$url" >"$work/control.log" 2>&1 &
wait_for "weft control (log $work/control.log)" grep -q "weft control listening" "$work/control.log"
key=$(ip netns exec "$hub" "$weft" control keys create --reusable --preauthorized --server "$url" --api-key-file "$work/control/owner-api-key")

declare -A pid
for i in "${!nodes[@]}"; do
    name=${nodes[$i]} ns=wnb$tag-${nodes[$i]}
    ip netns add "$ns"
    ip link add "wnb${tag}h$i" netns "$hub" type veth peer name "wnb${tag}n$i" netns "$ns"
    ip -n "$hub" addr add "10.201.$i.1/24" dev "wnb${tag}h$i"; ip -n "$hub" link set "wnb${tag}h$i" up
    ip -n "$ns" addr add "10.201.$i.2/24" dev "wnb${tag}n$i"; ip -n "$ns" link set "wnb${tag}n$i" up
    ip -n "$ns" link set lo up
    ip -n "$ns" route add default via "10.201.$i.1"
    # `ip netns exec` execs the command, so $! is the daemon itself.
    ip netns exec "$ns" "$weft" daemon --state-dir "$work/$name" --socket "$work/$name.sock" --tun "wnb${tag}t$i" >"$work/$name.log" 2>&1 &
    pid[$name]=$!
    wait_for "weft daemon $name (log $work/$name.log)" test -S "$work/$name.sock"
done
cli() { local name=$1; shift; ip netns exec "wnb$tag-$name" "$weft" --socket "$work/$name.sock" "$@"; }

cli bravo up --login-server "$url" --auth-key "$key" --hostname bravo --accept-dns false --timeout 60s >/dev/null

t0=$(now_ms)
cli alpha up --login-server "$url" --auth-key "$key" --hostname alpha --accept-dns false --timeout 60s >/dev/null
t_running=$(( $(now_ms) - t0 ))
bravo_ip=$(cli bravo ip -4)
first_reply() { ip netns exec "wnb$tag-alpha" ping -n -q -c 1 -W 1 "$bravo_ip" >/dev/null 2>&1; }
wait_for "a ping reply from bravo" first_reply
t_packet=$(( $(now_ms) - t0 ))

# Idle: let start-up garbage settle, then read the resident set.
sleep 5
rss_idle=$(rss_mib "${pid[alpha]}")

ip netns exec "$hub" "$work/nodebench/Weft.NodeBench" --server "$url" --auth-key "$key" --count "$peers" >&2
peer_count() { cli alpha status --json | grep -c '"fqdn"'; }
has_all() { [[ $(peer_count) -ge $((peers + 2)) ]]; }
wait_for "alpha's netmap to list $peers more peers" has_all
sleep 5
rss_peers=$(rss_mib "${pid[alpha]}")

echo
echo "| Node daemon (alpha) | Value |"
echo "|---|---|"
echo "| \`weft up\` to Running | ${t_running} ms |"
echo "| \`weft up\` to first ping reply from a peer | ${t_packet} ms |"
echo "| RSS idle, 1 peer | ${rss_idle} MiB |"
echo "| RSS with $((peers + 1)) peers | ${rss_peers} MiB |"
