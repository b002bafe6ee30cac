#!/bin/sh
# Installs every package the build, tests, demo and benchmarks need, on Debian 12 (bookworm) or
# Debian 13 (trixie). Idempotent: does nothing when all are present. Never starts services
# (policy-rc.d denies it).
set -eu

PKGS="make gcc pkg-config libc6-dev libsystemd-dev libjansson-dev libgps-dev libiniparser-dev
pps-tools groff-base clang valgrind chrony gpsd gpsd-clients python3-gps linuxptp
python3-ntp iproute2 util-linux procps gcc-multilib strace prometheus
systemd dbus dbus-user-session yamllint systemd-container
build-essential debhelper dpkg-dev fakeroot lintian debootstrap podman
ansible ansible-lint openssh-client"
# ansible .. openssh-client: the roles in ansible/, their lint and the booted gateway test.
# build-essential .. debootstrap: `make deb` and its tests (a clean root to install the .deb into).
# prometheus ships promtool, which lints the metrics file (tests/system/52-metrics.sh); its
# service is never started (policy-rc.d below).
# Names that differ between releases.
release=$(. /etc/os-release && echo "${VERSION_ID:-}")
case "$release" in
  12*) PKGS="$PKGS libclang-rt-14-dev" ;;
  # ntpd-rs (a sock consumer) is packaged from Debian 13 on.
  *) PKGS="$PKGS libclang-rt-dev ntpd-rs" ;;
esac

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
# The tests run ptp4l from both linuxptp major versions on either release, each unpacked from the
# other release (a private apt state: the system's sources are never touched). Debian 12 has
# 3.1.1: the push tests and benchmarks need >= 4.0 (TIME_SYNC pushes), and Debian 13's 4.2 needs
# only glibc 2.34. Debian 13 has 4.2: a free-running 4.x grandmaster cannot announce a pending
# leap second, so the leap checks use Debian 12's 3.1.1 as grandmaster.
unpack_linuxptp() { # SUITE ROOT
  local st mirror apt_private
  st=$(mktemp -d)
  mkdir -p "$st/lists/partial" "$st/cache/archives/partial"
  mirror=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -v security | head -n 1 | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//')
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $1 main" \
    > "$st/sources.list"
  apt_private="-o APT::Sandbox::User=root -o Dir::Etc::sourcelist=$st/sources.list -o Dir::Etc::sourceparts=/nonexistent
    -o Dir::State::Lists=$st/lists -o Dir::Cache=$st/cache"
  # shellcheck disable=SC2086
  apt-get $apt_private update -q >/dev/null
  # shellcheck disable=SC2086
  (cd "$st" && apt-get $apt_private download -q "linuxptp/$1" >/dev/null)
  mkdir -p "$2"
  dpkg-deb -x "$st"/linuxptp_*.deb "$2"
  rm -rf "$st"
  echo "deps: unpacked linuxptp $("$2/usr/sbin/ptp4l" -v) from $1 into $2"
}
LINUXPTP4_ROOT=${LINUXPTP4_ROOT:-/var/cache/refclock-bridge-test/linuxptp4}
LINUXPTP3_ROOT=${LINUXPTP3_ROOT:-/var/cache/refclock-bridge-test/linuxptp3}
ptp_major=$(ptp4l -v 2>&1 | cut -d. -f1)
if [ "$ptp_major" -lt 4 ] 2>/dev/null && [ ! -x "$LINUXPTP4_ROOT/usr/sbin/ptp4l" ]; then
  unpack_linuxptp trixie "$LINUXPTP4_ROOT"
fi
if [ "$ptp_major" -ge 4 ] 2>/dev/null && [ ! -x "$LINUXPTP3_ROOT/usr/sbin/ptp4l" ]; then
  unpack_linuxptp bookworm "$LINUXPTP3_ROOT"
fi
echo "deps: all present"
