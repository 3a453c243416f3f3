#!/usr/bin/env bash
# Lab benchmark: two network namespaces joined by a veth pair, measured as plain veth and through
# userspace WireGuard (wireguard-go and weft in each combination). Prints one markdown table.
# Run as root from anywhere in the repository:  sudo bench/lab/run.sh
#   BENCH_SECONDS=5   seconds per iperf3 run
#   WEFT_EXE=path     use this weft instead of publishing src/Weft in Release
#   BENCH_ROWS="veth go-go weft-weft weft-go"   rows to measure
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
    echo "bench/lab/run.sh: run as root (it creates network namespaces and TUN devices)" >&2
    exit 1
fi
for tool in ip wg wireguard-go iperf3 ping ss python3; do
    command -v "$tool" >/dev/null || { echo "bench/lab/run.sh: missing $tool" >&2; exit 1; }
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DURATION=${BENCH_SECONDS:-5}
ROWS=${BENCH_ROWS:-"veth go-go weft-weft weft-go"}
PREFIX=wb$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS_A=$PREFIX-a
NS_B=$PREFIX-b
WORK=$(mktemp -d)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    rm -f /var/run/wireguard/"$PREFIX"*.sock
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >&2; }

# --- weft Release build ------------------------------------------------------------------------
if [[ -n "${WEFT_EXE:-}" ]]; then
    WEFT=$WEFT_EXE
elif [[ " $ROWS " == *weft* ]]; then
    log "publishing weft (Release) ..."
    dotnet publish "$ROOT/src/Weft" -c Release -o "$WORK/out" --artifacts-path "$WORK/artifacts" -nologo -v quiet >&2
    WEFT=$WORK/out/weft
fi

# --- topology ----------------------------------------------------------------------------------
ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set lo up
ip link add "${PREFIX}va" netns "$NS_A" type veth peer name "${PREFIX}vb" netns "$NS_B"
ip -n "$NS_A" addr add 10.201.0.1/24 dev "${PREFIX}va"
ip -n "$NS_B" addr add 10.201.0.2/24 dev "${PREFIX}vb"
ip -n "$NS_A" link set "${PREFIX}va" up
ip -n "$NS_B" link set "${PREFIX}vb" up

ip netns exec "$NS_B" iperf3 -s -p 5201 >"$WORK/iperf3-server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do
    ip netns exec "$NS_B" ss -ltn | grep -q ':5201 ' && break
    sleep 0.05
done

# --- WireGuard pair ----------------------------------------------------------------------------
# start_wg NS KIND IFACE: runs wireguard-go or weft in the foreground, in the background of this script.
start_wg() {
    local ns=$1 kind=$2 iface=$3
    if [[ $kind == go ]]; then
        ip netns exec "$ns" env LOG_LEVEL=error wireguard-go -f "$iface" >"$WORK/$iface.log" 2>&1 &
    else
        ip netns exec "$ns" "$WEFT" wireguard -f "$iface" >"$WORK/$iface.log" 2>&1 &
    fi
    PIDS+=($!)
    WG_PIDS+=($!)
    for _ in $(seq 600); do
        [[ -S /var/run/wireguard/$iface.sock ]] && return 0
        sleep 0.05
    done
    log "$kind did not create /var/run/wireguard/$iface.sock:"; cat "$WORK/$iface.log" >&2
    return 1
}

# pair_up KIND_A KIND_B: tunnel 10.99.0.1 (A) <-> 10.99.0.2 (B) over the veth.
pair_up() {
    WG_PIDS=()
    local key_a key_b
    key_a=$(wg genkey); key_b=$(wg genkey)
    start_wg "$NS_A" "$1" "${PREFIX}a"
    start_wg "$NS_B" "$2" "${PREFIX}b"
    ip netns exec "$NS_A" wg set "${PREFIX}a" private-key /dev/stdin listen-port 51820 \
        peer "$(wg pubkey <<<"$key_b")" allowed-ips 10.99.0.2/32 endpoint 10.201.0.2:51820 <<<"$key_a"
    ip netns exec "$NS_B" wg set "${PREFIX}b" private-key /dev/stdin listen-port 51820 \
        peer "$(wg pubkey <<<"$key_a")" allowed-ips 10.99.0.1/32 <<<"$key_b"
    ip -n "$NS_A" addr add 10.99.0.1/24 dev "${PREFIX}a"
    ip -n "$NS_B" addr add 10.99.0.2/24 dev "${PREFIX}b"
    ip -n "$NS_A" link set "${PREFIX}a" up
    ip -n "$NS_B" link set "${PREFIX}b" up
    ip netns exec "$NS_A" ping -c 1 -W 10 -q 10.99.0.2 >/dev/null
}

pair_down() {
    local pid
    for pid in "${WG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${WG_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# --- measurements ------------------------------------------------------------------------------
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# measure TARGET: prints "tcp1 tcp4 udp_pps ping_ms" from namespace A towards TARGET.
measure() {
    local target=$1 tcp1 tcp4 udp ping_ms
    tcp1=$(ip netns exec "$NS_A" iperf3 -J -c "$target" -t "$DURATION" | json 'round(d["end"]["sum_received"]["bits_per_second"]/1e9, 2)')
    tcp4=$(ip netns exec "$NS_A" iperf3 -J -c "$target" -t "$DURATION" -P 4 | json 'round(d["end"]["sum_received"]["bits_per_second"]/1e9, 2)')
    udp=$(ip netns exec "$NS_A" iperf3 -J -c "$target" -t "$DURATION" -u -l 64 -b 0 \
        | json 'int((d["end"]["sum"]["packets"]-d["end"]["sum"]["lost_packets"])/d["end"]["sum"]["seconds"])')
    ping_ms=$(ip netns exec "$NS_A" ping -n -q -c 200 -i 0.01 "$target" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
    echo "$tcp1 $tcp4 $udp $ping_ms"
}

declare -A RESULT
for row in $ROWS; do
    case $row in
        veth) log "measuring plain veth ..."; RESULT[$row]=$(measure 10.201.0.2) ;;
        go-go|weft-weft|weft-go)
            log "measuring $row ..."
            pair_up "${row%-*}" "${row#*-}"
            RESULT[$row]=$(measure 10.99.0.2)
            pair_down ;;
        *) log "unknown row $row"; exit 1 ;;
    esac
done

label() {
    case $1 in
        veth) echo "plain veth" ;;
        go-go) echo "wireguard-go <-> wireguard-go" ;;
        weft-weft) echo "weft <-> weft" ;;
        weft-go) echo "weft <-> wireguard-go" ;;
    esac
}

echo
echo "| path | TCP 1 stream (Gbit/s) | TCP 4 streams (Gbit/s) | UDP 64 B (packets/s received) | ping avg (ms) |"
echo "|---|---:|---:|---:|---:|"
for row in $ROWS; do
    read -r tcp1 tcp4 udp ping_ms <<<"${RESULT[$row]}"
    echo "| $(label "$row") | $tcp1 | $tcp4 | $udp | $ping_ms |"
done
if [[ -n "${RESULT[weft-weft]:-}" && -n "${RESULT[go-go]:-}" ]]; then
    python3 - "${RESULT[weft-weft]}" "${RESULT[go-go]}" <<'PY'
import sys
weft = [float(x) for x in sys.argv[1].split()]
go = [float(x) for x in sys.argv[2].split()]
cells = [f"{w / g:.2f}x" if g else "n/a" for w, g in zip(weft, go)]
print("| ratio weft/wireguard-go (weft<->weft over wireguard-go<->wireguard-go; ping: lower is better) | " + " | ".join(cells) + " |")
PY
fi
echo
echo "$(nproc) CPUs, ${DURATION} s per iperf3 run, $(uname -r), $(wireguard-go --version 2>/dev/null | head -1)"
