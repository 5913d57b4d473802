#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real (idempotent: does nothing when
# they are all present). Services are never started here: each test starts what it needs on
# loopback and stops it.
set -euo pipefail
packages=(
  snmpd snmp snmptrapd            # net-snmp agent, client tools, trap receiver
  prometheus                      # prometheus + promtool
  prometheus-alertmanager         # alertmanager + amtool
  victoria-metrics                # InfluxDB line-protocol sink target
  postgresql                      # inventory / alert store
  prometheus-snmp-exporter        # peer tool for benchmarks
  prometheus-blackbox-exporter    # peer tool for benchmarks
  fping iputils-ping tcpdump iproute2
  chromium                        # headless rendering of HTML reports
  fonts-wqy-microhei              # Chinese glyphs for town names in rendered reports
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test dependencies: all ${#packages[@]} Debian packages present"
  exit 0
fi
echo "test dependencies: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
