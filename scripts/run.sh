#!/usr/bin/env bash
# Shows netops working on this machine: starts net-snmp's snmpd on a loopback port, queries
# it with `netops snmp`, then runs the daemon against it for a few polls and prints what
# /metrics and the snmp_exporter-compatible /snmp endpoint serve. Stops everything at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh >/dev/null
cargo build --release --quiet
bin=target/release/netops
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/snmpd.conf" <<CONF
agentAddress udp:127.0.0.1:$port,udp6:[::1]:$port
rocommunity public 127.0.0.1
rocommunity6 public ::1
createUser demo SHA-512 demo-auth-pass AES-256 demo-priv-pass
rouser demo priv
CONF
SNMP_PERSISTENT_DIR="$work/snmp" /usr/sbin/snmpd -f -C -c "$work/snmpd.conf" -m "" -I -smux -Lo >/dev/null 2>&1 &
sleep 1
echo "== netops snmp get (SNMPv3 SHA-512/AES-256) =="
$bin snmp get -v 3 -u demo -l authPriv -a SHA-512 -A demo-auth-pass -x AES-256 -X demo-priv-pass "127.0.0.1:$port" 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.3.0
echo; echo "== netops snmp walk -o json, IPv6 (first 5 lines) =="
$bin snmp walk -o json -c public "[::1]:$port" 1.3.6.1.2.1.2.2.1.2 | head -5
cat > "$work/netops.toml" <<CONF
[server]
listen = "127.0.0.1:$http"
[snmp]
interval_seconds = 2
[[targets]]
name = "loopback-agent"
address = "127.0.0.1:$port"
modules = ["system", "if_mib", "host_resources", "ip_mib"]
CONF
$bin serve --config "$work/netops.toml" &
sleep 5
echo; echo "== /metrics (if_mib series of lo) =="
curl -s "http://127.0.0.1:$http/metrics" | grep -E '^(ifHCInOctets|ifOperStatus|netops_target_up|netops_poll_duration_seconds)' | head -8
echo; echo "== /snmp?target=…&module=system (snmp_exporter-compatible) =="
curl -s "http://127.0.0.1:$http/snmp?target=127.0.0.1:$port&module=system" | grep -E '^sys' | head -5
