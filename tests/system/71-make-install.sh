#!/bin/bash
# `make install` and the package ship the same files: `make install DESTDIR=... PREFIX=/usr`
# gives exactly the .deb's file set (`make deb`; the .deb's own changelog and copyright aside,
# its man pages gzipped, and on Debian 12 its unit and udev rule under /lib), with the same
# contents but the binary's. The unit's ExecStartPre/ExecStart/ExecStopPost name the installed
# binary for PREFIX=/usr and /usr/local; `make uninstall` with the same variables leaves no
# file behind but an edited configuration, and install never overwrites a configuration.
# rb: runs no bridge
. "$(dirname "$0")/lib.sh"
# After lib.sh, which is not written for errexit.
set -euo pipefail
REPO=$(cd "$HERE/../.." && pwd)

command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed (make deps)"
dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q "ok installed" \
  || skip "debhelper is not installed (make deps)"

make_() { make -s -C "$REPO" "$@"; }

# The .deb (built by test 70 before; a no-op then).
make_ deb > "$T/make-deb.log" 2>&1 || { cat "$T/make-deb.log"; fail "make deb"; }
debs=("$REPO"/build/deb/refclock-bridge_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb in build/deb: ${debs[*]}"
DEB=${debs[0]}
note "package: $(basename "$DEB")"

# files_of DIR: the regular files and symlinks under DIR, as absolute paths inside it.
files_of() { (cd "$1" && find . \( -type f -o -type l \) -printf '/%P\n' | LC_ALL=C sort); }

# The package's file set, normalised to what make install writes: Debian 12's debhelper wants
# the unit in /lib/systemd/system (and the udev rule goes to /lib/udev/rules.d, as udev.pc
# says there); /lib is /usr/lib on a merged-/usr system.
deb_files() {
  files_of "$T/deb" | sed -E 's|^/lib/|/usr/lib/|; s|^(/usr/share/man/.*)\.gz$|\1|' \
    | grep -vxE '/usr/share/doc/refclock-bridge/(changelog\.gz|copyright)' | LC_ALL=C sort
}
dpkg-deb -x "$DEB" "$T/deb"
if files_of "$T/deb" | grep -q '^/lib/'; then
  note "the .deb has files under /lib: $(files_of "$T/deb" | grep '^/lib/' | tr '\n' ' ')"
fi

# unit_paths UNIT: the first word of each ExecStartPre, ExecStart and ExecStopPost line.
unit_paths() { sed -nE 's/^(ExecStartPre|ExecStart|ExecStopPost)=-?([^ ]*).*/\1 \2/p' "$1"; }

check_prefix() { # PREFIX UNITDIR
  local prefix=$1 unitdir=$2 d=$T/install-${1//\//_} unit n
  note "make install PREFIX=$prefix"
  make_ install DESTDIR="$d" PREFIX="$prefix" > "$T/install.log" 2>&1 \
    || { cat "$T/install.log"; fail "make install PREFIX=$prefix"; }
  unit=$d$unitdir/refclock-bridge.service
  [ -f "$unit" ] || fail "no unit at $unitdir"
  n=0
  while read -r key path; do
    [ "$path" = "$prefix/sbin/refclock-bridge" ] || fail "PREFIX=$prefix: $key=$path"
    [ -x "$d$path" ] || fail "PREFIX=$prefix: $key names $path, which is not installed"
    n=$((n + 1))
  done < <(unit_paths "$unit")
  [ "$n" -eq 3 ] || fail "PREFIX=$prefix: $n of ExecStartPre/ExecStart/ExecStopPost found"
  grep -q ' -c /etc/refclock-bridge.conf' "$unit" || fail "the unit does not read /etc/refclock-bridge.conf"
  grep -q '/usr/local/sbin' "$unit" && [ "$prefix" != /usr/local ] && fail "PREFIX=$prefix: /usr/local/sbin left in the unit"
  cmp -s "$d/etc/refclock-bridge.conf" "$REPO/examples/refclock-bridge.default.conf" \
    || fail "PREFIX=$prefix: /etc/refclock-bridge.conf is not the default"
  unit_paths "$unit" | sed 's/^/    /'

  # An existing configuration is never overwritten; uninstall keeps it once edited.
  echo "; edited" >> "$d/etc/refclock-bridge.conf"
  make_ install DESTDIR="$d" PREFIX="$prefix" > "$T/install.log" 2>&1 || fail "second make install"
  grep -q '^; edited' "$d/etc/refclock-bridge.conf" || fail "make install overwrote the configuration"
  make_ uninstall DESTDIR="$d" PREFIX="$prefix" > "$T/uninstall.log" 2>&1 \
    || { cat "$T/uninstall.log"; fail "make uninstall PREFIX=$prefix"; }
  [ "$(files_of "$d")" = /etc/refclock-bridge.conf ] \
    || fail "PREFIX=$prefix: make uninstall left $(files_of "$d" | tr '\n' ' ')"
  grep -q "keeping .*refclock-bridge.conf" "$T/uninstall.log" || fail "uninstall did not say it kept the config"

  # Unedited, it goes too, and nothing of the bridge's is left, not even a directory.
  rm "$d/etc/refclock-bridge.conf"
  make_ install DESTDIR="$d" PREFIX="$prefix" > "$T/install.log" 2>&1 || fail "third make install"
  make_ uninstall DESTDIR="$d" PREFIX="$prefix" > "$T/uninstall.log" 2>&1 || fail "second make uninstall"
  [ -z "$(files_of "$d")" ] || fail "PREFIX=$prefix: make uninstall left $(files_of "$d" | tr '\n' ' ')"
  [ -z "$(find "$d" -name '*refclock-bridge*')" ] \
    || fail "PREFIX=$prefix: left behind: $(find "$d" -name '*refclock-bridge*' | tr '\n' ' ')"
}

# The same set as the package, the same contents but the binary's (built with the package's
# flags and version; stripped).
note "make install DESTDIR=... PREFIX=/usr against $(basename "$DEB")"
make_ install DESTDIR="$T/mi" PREFIX=/usr > "$T/install.log" 2>&1 \
  || { cat "$T/install.log"; fail "make install"; }
files_of "$T/mi" > "$T/mi.list"
deb_files > "$T/deb.list"
diff -u "$T/deb.list" "$T/mi.list" > "$T/lists.diff" \
  || { cat "$T/lists.diff"; fail "make install and the .deb ship different files (- deb, + make install)"; }
note "$(wc -l < "$T/mi.list") files, the same in both"
while read -r f; do
  [ "$f" = /usr/sbin/refclock-bridge ] && continue
  src=""
  # as is, a gzipped man page, or under /lib (Debian 12)
  for c in "$T/deb$f" "$T/deb$f.gz" "$T/deb${f#/usr}"; do [ -e "$c" ] && src=$c && break; done
  [ -n "$src" ] || fail "$f: not found in the .deb"
  case "$src" in
    *.gz) zcat "$src" | cmp -s - "$T/mi$f" ;;
    *) cmp -s "$src" "$T/mi$f" ;;
  esac || fail "$f differs between the .deb and make install"
done < "$T/mi.list"
note "same contents (the binary aside)"

check_prefix /usr /usr/lib/systemd/system
check_prefix /usr/local /usr/local/lib/systemd/system
echo "PASS"
