#!/bin/sh
# Installs every Debian 12 package the build, tests, demo and benchmarks need. Idempotent:
# does nothing when all are present. Never starts services (policy-rc.d denies it).
set -eu

PKGS="make gcc pkg-config libc6-dev libsystemd-dev libjansson-dev libgps-dev libiniparser-dev
pps-tools groff-base clang libclang-rt-14-dev valgrind chrony gpsd gpsd-clients python3-gps linuxptp
python3-ntp iproute2 util-linux procps gcc-multilib strace"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
  fi
  # Package scripts must not start chronyd or gpsd: they would discipline this machine's clock.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  echo "deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >/dev/null
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi

# ntpsec conflicts with chrony, so it is unpacked, not installed (tests run its ntpd from there).
NTPSEC_ROOT=${NTPSEC_ROOT:-/var/cache/refclock-bridge-test/ntpsec}
if [ ! -x "$NTPSEC_ROOT/usr/sbin/ntpd" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -q ntpsec >/dev/null 2>&1) || {
    apt-get update -q >/dev/null
    (cd "$tmp" && apt-get download -q ntpsec >/dev/null)
  }
  mkdir -p "$NTPSEC_ROOT"
  dpkg-deb -x "$tmp"/ntpsec_*.deb "$NTPSEC_ROOT"
  rm -rf "$tmp"
  echo "deps: unpacked ntpsec into $NTPSEC_ROOT"
fi
echo "deps: all present"
