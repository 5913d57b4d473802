#!/usr/bin/env bash
# Benchmark: `netops probe icmp` against `fping` (Debian) on the same namespace testbed, one
# run side by side. Needs root (namespaces, TAP devices) and fping.
#
# Testbed: namespace P (prober) ── netops-wire (TAP pair, DELAY_MS each way, no loss) ──
# namespace T, which holds N target addresses on its loopback (10.99.x.y, routed via T's
# TAP address, so one ARP entry serves them all). The injected RTT (2 × DELAY_MS) is the
# ground truth; both tools also pay the wire's own forwarding time (the "base", measured
# first through the same wire with no delay).
#
# Figures: wall time of one round of COUNT probes to each of N targets, targets/s and
# probes/s, and per tool the mean of the per-target median RTTs and its error against
# injected RTT + base.
#
# Usage: bash bench/probe_vs_fping.sh   (env: N=200 COUNT=5 DELAY_MS=5 INTERVAL_MS=20 FPING_I=1)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200}
COUNT=${COUNT:-5}
DELAY_MS=${DELAY_MS:-5}
INTERVAL_MS=${INTERVAL_MS:-20}
# fping's global gap between any two probes (its -i; default 10, 1 is the usual fast
# setting, 0 lets root send as fast as it can). netops has no global gap: it staggers the
# targets' rounds over one per-target interval.
FPING_I=${FPING_I:-1}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

[ "$(id -u)" -eq 0 ] || { echo "run as root (network namespaces, TAP devices)" >&2; exit 2; }
command -v fping >/dev/null || { echo "fping missing: bash scripts/install-test-deps.sh" >&2; exit 2; }

cargo build --release --quiet --bin netops
cargo build --release --quiet -p netops-probes --bin netops-wire
NETOPS="$TARGET_DIR/release/netops"
WIRE="$TARGET_DIR/release/netops-wire"

P="nopb-p-$$"
T="nopb-t-$$"
WORK=$(mktemp -d)
WIRE_PID=""
cleanup() {
  [ -n "$WIRE_PID" ] && kill "$WIRE_PID" 2>/dev/null || true
  ip netns del "$P" 2>/dev/null || true
  ip netns del "$T" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for ns in "$P" "$T"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done

# Starts the wire with a given one-way delay and configures both TAP ends.
start_wire() {
  local delay=$1
  [ -n "$WIRE_PID" ] && { kill "$WIRE_PID"; wait "$WIRE_PID" 2>/dev/null || true; }
  mkfifo "$WORK/ready.$delay"
  # (EIO on writes until the far TAP is up is expected and harmless.)
  "$WIRE" --a "$P:tap0" --b "$T:tap0" --delay-ab-ms "$delay" --delay-ba-ms "$delay" >"$WORK/ready.$delay" &
  WIRE_PID=$!
  read -r line <"$WORK/ready.$delay"
  [ "$line" = ready ] || { echo "wire did not start" >&2; exit 1; }
  ip -n "$P" link set tap0 up
  ip -n "$T" link set tap0 up
  ip -n "$P" addr add 10.77.0.1/24 dev tap0
  ip -n "$T" addr add 10.77.0.2/24 dev tap0
  ip -n "$P" route add 10.99.0.0/16 via 10.77.0.2
  until ip netns exec "$P" ping -c1 -W0.2 10.77.0.2 >/dev/null 2>&1; do :; done
}

# N target addresses on T's loopback.
: >"$WORK/addrs"
for i in $(seq 1 "$N"); do
  echo "addr add 10.99.$((i / 250)).$((i % 250 + 1))/32 dev lo" >>"$WORK/addrs"
done
ip -n "$T" -batch "$WORK/addrs"
mapfile -t TARGETS < <(sed -E 's/addr add ([0-9.]+)\/32.*/\1/' "$WORK/addrs")

now() { date +%s.%N; }

# Mean of per-target medians from fping -C output ("addr : r1 r2 - r4 ...", on stderr).
fping_mean_median() {
  awk -F' : ' '{
      n = split($2, v, " "); m = 0
      for (i = 1; i <= n; i++) if (v[i] != "-") {
        x = v[i] + 0; j = ++m   # insertion sort: mawk has no asort
        while (j > 1 && a[j - 1] > x) { a[j] = a[j - 1]; j-- }
        a[j] = x
      }
      if (m == 0) next
      med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
      sum += med; cnt++; delete a
    } END { if (cnt) printf "%.4f %d\n", sum / cnt, cnt; else print "nan 0" }' "$1"
}
netops_mean_median() {
  grep -o '"median":[0-9.]*' "$1" | cut -d: -f2 | awk '{ s += $1; c++ } END { if (c) printf "%.4f %d\n", s / c, c; else print "nan 0" }'
}

run_fping() { # out-file
  ip netns exec "$P" fping -q -C "$COUNT" -p "$INTERVAL_MS" -i "$FPING_I" -t 1000 "${TARGETS[@]}" 2>"$1" >/dev/null || true
}
run_netops() { # out-file
  ip netns exec "$P" "$NETOPS" probe icmp -c "$COUNT" -i "${INTERVAL_MS}ms" -t 1s -o json "${TARGETS[@]}" >"$1" || true
}

echo "testbed: $N IPv4 targets, $COUNT probes each, ${INTERVAL_MS} ms per-target interval, wire delay ${DELAY_MS} ms each way, fping -i $FPING_I"

# Base: the wire with no delay (one round each, medians over all targets).
start_wire 0
run_fping "$WORK/fping.base" ; read -r FPING_BASE _ < <(fping_mean_median "$WORK/fping.base")
run_netops "$WORK/netops.base"; read -r NETOPS_BASE _ < <(netops_mean_median "$WORK/netops.base")

start_wire "$DELAY_MS"
INJECTED=$(awk -v d="$DELAY_MS" 'BEGIN { printf "%.4f", 2 * d }')
run_fping /dev/null # warm-up (ARP, caches)

t0=$(now); run_fping "$WORK/fping.out"; t1=$(now)
read -r FPING_MED FPING_OK < <(fping_mean_median "$WORK/fping.out")
t2=$(now); run_netops "$WORK/netops.out"; t3=$(now)
read -r NETOPS_MED NETOPS_OK < <(netops_mean_median "$WORK/netops.out")

report() { # name wall mean_median targets_ok base
  awk -v name="$1" -v wall="$2" -v med="$3" -v ok="$4" -v base="$5" -v inj="$INJECTED" -v n="$N" -v c="$COUNT" 'BEGIN {
    printf "%-7s wall %6.3f s  %7.1f targets/s  %8.1f probes/s  answered %d/%d  mean median RTT %.3f ms  (injected %.3f + base %.3f: error %+.3f ms)\n",
      name, wall, n / wall, n * c / wall, ok, n, med, inj, base, med - inj - base }'
}
report fping "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$FPING_MED" "$FPING_OK" "$FPING_BASE"
report netops "$(awk -v a="$t2" -v b="$t3" 'BEGIN { print b - a }')" "$NETOPS_MED" "$NETOPS_OK" "$NETOPS_BASE"
