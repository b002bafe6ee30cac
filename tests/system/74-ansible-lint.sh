#!/bin/bash
# The Ansible roles and playbooks (ansible/): ansible-lint passes at the production profile with
# no skips (no skip_list, no noqa), both playbooks pass --syntax-check, every role documents
# exactly its defaults in meta/argument_specs.yml, and the example inventory's configurations
# render through the roles' own template tasks (ansible/tests/render-configs.yml, on localhost,
# into $T) with the real validators: refclock-bridge --check-config of this build, chronyd -p,
# ptp4l in an empty network namespace, statime's key checker (and the real statime's parser
# when ../shared has it), ntp-ctl validate (Debian 13). A second render changes nothing; broken
# settings are refused by the template tasks and by each validator. The rendered files agree on
# the socket paths and never make a free-running clock stratum 1 (no local, no local-stratum).
# Skips only when ansible or ansible-lint is missing.
# rb: runs no bridge
. "$(dirname "$0")/lib.sh"
set -euo pipefail
REPO=$(readlink -f "$HERE/../..")
PY=/usr/bin/python3

command -v ansible-playbook >/dev/null && command -v ansible-lint >/dev/null ||
  skip "ansible or ansible-lint is not installed (make deps)"
[ -x "$RB_BIN" ] || fail "no bridge binary at $RB_BIN (make)"
for c in chronyd ptp4l unshare setpriv; do
  command -v "$c" >/dev/null || fail "$c is not installed (make deps)"
done

# Ansible and ansible-lint write caches under HOME and beside the project: work on a copy.
export HOME=$T/home ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
mkdir -p "$HOME"
cp -a "$REPO/ansible" "$T/ansible"
A=$T/ansible
export ANSIBLE_CONFIG=$A/ansible.cfg

# took START: seconds since START (date +%s.%N), one decimal.
took() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

note "versions: $(ansible --version | head -n 1); $(ansible-lint --version 2>/dev/null | head -n 1 | sed 's/\x1b\[[0-9;]*m//g')"

# --- Lint: production profile, nothing skipped.
if grep -rn 'noqa' "$A" >/dev/null; then fail "a noqa in ansible/: $(grep -rn 'noqa' "$A" | head -n 3)"; fi
for f in "$A/.ansible-lint" "$A/.config/ansible-lint.yml"; do
  [ ! -e "$f" ] || ! grep -qE '^(skip_list|warn_list):' "$f" ||
    ! grep -A3 -E '^(skip_list|warn_list):' "$f" | grep -q '^ *- ' || fail "$f skips rules"
done
t0=$(date +%s.%N)
set +e
(cd "$A" && ansible-lint --offline --profile production --nocolor) > "$T/lint.log" 2>&1
rc=$?
set -e
cat "$T/lint.log" | tail -n 5
[ "$rc" -eq 0 ] || fail "ansible-lint: rc $rc: $(tail -n 30 "$T/lint.log")"
# 6.x says "Passed with production profile", 25.x "Profile 'production' was required, and it
# passed".
grep -qiE "passed with production profile|profile 'production' was required, and it passed" \
  "$T/lint.log" || fail "ansible-lint did not reach the production profile: $(tail -n 5 "$T/lint.log")"
note "ansible-lint --profile production: passed in $(took "$t0") s"

# --- Syntax of both playbooks, with the example inventory.
t0=$(date +%s.%N)
for pb in gateway.yml stratum1.yml; do
  (cd "$A" && ansible-playbook -i inventory.example.yml --syntax-check "$pb") > "$T/syntax.log" 2>&1 ||
    fail "--syntax-check $pb: $(tail -n 10 "$T/syntax.log")"
done
note "--syntax-check gateway.yml stratum1.yml: ok in $(took "$t0") s"

# --- Every role's argument spec documents exactly its defaults, with the same values.
"$PY" - "$A/roles" <<'EOF' || fail "argument specs and defaults disagree"
import os, sys, yaml
roles = sys.argv[1]
bad = 0
for role in sorted(os.listdir(roles)):
    d = os.path.join(roles, role)
    defaults = yaml.safe_load(open(os.path.join(d, "defaults/main.yml"))) or {}
    spec = yaml.safe_load(open(os.path.join(d, "meta/argument_specs.yml")))
    opts = spec["argument_specs"]["main"]["options"]
    for name, o in opts.items():
        if not name.startswith(role + "_"):
            print(f"{role}: {name} lacks the role's prefix"); bad += 1
        if not o.get("description") or not o.get("type"):
            print(f"{role}: {name} has no type or description"); bad += 1
        if name not in defaults and not o.get("required"):
            print(f"{role}: {name} is documented but has no default"); bad += 1
        elif name in defaults and "default" in o and o["default"] != defaults[name]:
            print(f"{role}: {name}: spec default {o['default']!r} != defaults {defaults[name]!r}"); bad += 1
    for name in defaults:
        if name not in opts:
            print(f"{role}: {name} is not in meta/argument_specs.yml"); bad += 1
    print(f"{role}: {len(opts)} variables documented")
sys.exit(1 if bad else 0)
EOF

# --- Render the example inventory's configurations with the real validators.
OUT=$T/render
export RB_RENDER_DIR=$OUT RB_BIN
RB_LINUXPTP_MAJOR=$(linuxptp_major ptp4l)
RB_NTP_CTL=$(command -v ntp-ctl || true)
export RB_LINUXPTP_MAJOR RB_NTP_CTL
# render LOG ARGS...: the render play on localhost; its recap is in LOG.
render() {
  local log=$1
  shift
  (cd "$A" && ansible-playbook -i inventory.example.yml -c local \
    -e ansible_python_interpreter="$PY" "$@" tests/render-configs.yml) > "$log" 2>&1
}
recap_changed() { sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'; }

t0=$(date +%s.%N)
render "$T/render1.log" || fail "render: $(grep -E 'fatal|FAILED|ERROR|msg' "$T/render1.log" | head -n 20)"
note "render with validators: changed=$(recap_changed "$T/render1.log") in $(took "$t0") s" \
  "(linuxptp $RB_LINUXPTP_MAJOR, ntp-ctl ${RB_NTP_CTL:-absent})"
for f in gw1.example.net/{refclock-bridge,chrony,ptp4l}.conf s1.example.net/{refclock-bridge,chrony}.conf \
  gw2.example.net/refclock-bridge.conf gw2.example.net/{statime,ntp}.toml; do
  [ -s "$OUT/$f" ] || fail "not rendered: $f"
done

# (Idempotence is checked for real by test 75, on a booted host.)

# --- What the files say.
G1=$OUT/gw1.example.net G2=$OUT/gw2.example.net S1=$OUT/s1.example.net
# sock_paths FILE: the bridge's sock output paths, sorted.
sock_paths() { sed -n 's/^path = //p' "$1" | sort; }
[ "$(sock_paths "$G1/refclock-bridge.conf")" = "$(awk '$1 == "refclock" { print $3 }' "$G1/chrony.conf" | sort)" ] ||
  fail "gw1: the bridge's sock paths differ from chrony.conf's refclocks"
[ "$(sock_paths "$S1/refclock-bridge.conf")" = "$(awk '$1 == "refclock" { print $3 }' "$S1/chrony.conf" | sort)" ] ||
  fail "s1: the bridge's sock paths differ from chrony.conf's refclocks"
[ "$(sock_paths "$G2/refclock-bridge.conf")" = "$(sed -n 's/^path = "\(.*\)"/\1/p' "$G2/ntp.toml")" ] ||
  fail "gw2: the bridge's sock path differs from ntp.toml's sock source"
grep -q '^socket = /run/ptp/ptp4l$' "$G1/refclock-bridge.conf" && grep -qP '^uds_address\t+/run/ptp/ptp4l$' "$G1/ptp4l.conf" ||
  fail "gw1: the tracker's socket is not ptp4l's uds_address"
grep -q '^socket = /run/statime/observe$' "$G2/refclock-bridge.conf" &&
  grep -q '^observation-path = "/run/statime/observe"$' "$G2/statime.toml" ||
  fail "gw2: the tracker's socket is not statime's observation-path"
grep -q '^virtual-system-clock = true$' "$G2/statime.toml" || fail "gw2: statime steers the system clock"
if [ "$RB_LINUXPTP_MAJOR" -ge 4 ]; then want=clientOnly; else want=slaveOnly; fi
grep -qP "^$want\t+1$" "$G1/ptp4l.conf" || fail "ptp4l.conf for linuxptp $RB_LINUXPTP_MAJOR lacks $want 1"
! grep -qE '^[[:space:]]*local([[:space:]]|$)' "$G1/chrony.conf" "$S1/chrony.conf" || fail "chrony.conf has a local directive"
! grep -qE '^[[:space:]]*local-stratum' "$G2/ntp.toml" || fail "ntp.toml sets local-stratum"
note "socket paths agree; no local stratum; $want for linuxptp $RB_LINUXPTP_MAJOR"

# --- The template tasks refuse what their validators refuse (the file stays as it was).
cp "$G1/refclock-bridge.conf" "$T/bridge.before"
! render "$T/bad-bridge.log" --limit gw1.example.net -e '{"refclock_bridge_settings": {"log_level": "loud"}}' ||
  fail "a bad log_level was installed"
grep -q "log_level" "$T/bad-bridge.log" || fail "no --check-config message: $(grep -E 'fatal|msg' "$T/bad-bridge.log" | head -n 5)"
cmp -s "$T/bridge.before" "$G1/refclock-bridge.conf" || fail "the refused bridge file replaced the good one"
! render "$T/bad-chrony.log" --limit gw1.example.net -e '{"chrony_extra_config": ["no such directive"]}' ||
  fail "a bad chrony.conf line was installed"
grep -q "Invalid directive" "$T/bad-chrony.log" || fail "no chronyd -p message: $(grep -E 'fatal|msg' "$T/bad-chrony.log" | head -n 5)"
grep -q 'no such directive' "$G1/chrony.conf" && fail "the refused chrony.conf replaced the good one"
note "template tasks: a bad bridge setting and a bad chrony.conf line refused"

# --- Each validator on its own, good file and broken copy.
# expect_reject NAME CMD...: CMD must fail.
expect_reject() { local n=$1; shift; if "$@" > "$T/reject.log" 2>&1; then fail "$n accepted a broken file"; fi; }
P4C=$A/roles/linuxptp/files/ptp4l-check-config
"$P4C" "$G1/ptp4l.conf" > "$T/p4c.log" 2>&1 || fail "ptp4l check of the rendered file: $(cat "$T/p4c.log")"
{ cat "$G1/ptp4l.conf"; printf '[global]\nbogusOption\t1\n'; } > "$T/bad-ptp4l.conf"
expect_reject ptp4l-check-config "$P4C" "$T/bad-ptp4l.conf"
grep -q 'bogusOption' "$T/reject.log" || fail "ptp4l-check-config said: $(cat "$T/reject.log")"
STC=$A/roles/statime/files/statime-check-config
"$STC" "$G2/statime.toml" || fail "statime-check-config rejects the rendered file"
sed 's/^domain = 0$/domain = 0\nbogus-key = 1/' "$G2/statime.toml" > "$T/bad-statime.toml"
expect_reject statime-check-config "$STC" "$T/bad-statime.toml"
sed 's/^hardware-clock = "auto"$/hardware-clock = 0/' "$G2/statime.toml" > "$T/bad2-statime.toml"
expect_reject statime-check-config "$STC" "$T/bad2-statime.toml"
"$RB_BIN" --check-config -c "$S1/refclock-bridge.conf" || fail "--check-config rejects s1's file"
note "ptp4l, statime and bridge validators: good files pass, broken copies refused"

# The real statime (0.4, ../shared/peers) parses the rendered file and refuses the broken
# one. It starts PTP once the file parses: an empty network namespace and no CAP_SYS_TIME.
STATIME_BIN=${STATIME_BIN:-$("$REPO/scripts/shared-dir.sh")/peers/statime/statime}
if [ -x "$STATIME_BIN" ]; then
  # statime_parse FILE: prints statime's output; rc 1 is its config error.
  statime_parse() { unshare --net -- timeout 5 $NOTIME "$STATIME_BIN" -c "$1" 2>&1 || true; }
  sed 's|^observation-path = .*|observation-path = "'"$T"'/observe"|' "$G2/statime.toml" > "$T/st.toml"
  ! statime_parse "$T/st.toml" | grep -q 'config toml parsing error' ||
    fail "the real statime rejects the rendered statime.toml: $(statime_parse "$T/st.toml" | head -n 5)"
  statime_parse "$T/bad-statime.toml" | grep -q 'unknown field `bogus-key`' ||
    fail "the real statime accepted bogus-key"
  statime_parse "$T/bad2-statime.toml" | grep -q 'config toml parsing error' ||
    fail "the real statime accepted hardware-clock = 0"
  note "the real $("$STATIME_BIN" --version) parses the rendered file, refuses the broken ones"
else
  note "no statime binary (../shared/peers/statime): its own parser not run"
fi

if [ -n "$RB_NTP_CTL" ]; then
  sed 's/^\[synchronization\]$/&\nbogus-key = 1/' "$G2/ntp.toml" > "$T/bad-ntp.toml"
  expect_reject "ntp-ctl validate" ntp-ctl validate -c "$T/bad-ntp.toml"
  note "ntp-ctl validate passed the rendered ntp.toml (in the play) and refuses bogus-key"
else
  "$PY" -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$G2/ntp.toml" ||
    fail "ntp.toml is not TOML"
  note "no ntp-ctl (ntpd-rs is packaged from Debian 13): ntp.toml checked as TOML only"
fi
echo "PASS"
