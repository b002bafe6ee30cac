#!/bin/bash
# Every shipped example (examples/refclock-bridge.conf and examples/*/): the bridge's own
# --check-config on each refclock-bridge.conf; each consumer snippet through its daemon's
# own parser (chronyd -p; ntpsec's ntpd run in namespaces of its own and asked with ntpq;
# ntpd-rs's ntp-ctl validate; systemd-analyze verify for the OpenShift chronyd drop-in),
# each parser first shown to refuse a broken copy; and a cross-check that every socket
# path, SHM unit and refid the bridge writes is what the snippet reads, and back. The
# OpenShift example must be byte for byte what systemd/openshift/make-machineconfig embeds.
# rb: runs no bridge (only --check-config, which starts nothing)
. "$(dirname "$0")/lib.sh"
# After lib.sh, which is not written for errexit.
set -euo pipefail
EX=$(readlink -f "$HERE/../../examples")
GEN=$(readlink -f "$HERE/../../systemd/openshift/make-machineconfig")
NTPD=$NTPSEC_ROOT/usr/sbin/ntpd
NTPQ=$NTPSEC_ROOT/usr/bin/ntpq
[ -x "$NTPD" ] || skip "ntpsec is not unpacked at $NTPSEC_ROOT (make deps)"
release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID%%.*}")
mapfile -t DIRS < <(find "$EX" -mindepth 1 -maxdepth 1 -type d ! -name grafana | sort)
[ ${#DIRS[@]} -ge 7 ] || fail "only ${#DIRS[@]} example directories in $EX"

# --- Layout: a README, the bridge's file and exactly one consumer file per directory.
consumer_of() { # DIR: prints the consumer file (relative), or nothing
  local d=$1 f found=()
  for f in chrony.conf ntp.conf ntp.toml chronyd.service.d/20-refclock-bridge.conf; do
    [ -f "$d/$f" ] && found+=("$f")
  done
  [ ${#found[@]} -eq 1 ] && echo "${found[0]}"
  return 0
}
for d in "${DIRS[@]}"; do
  n=${d##*/}
  [ -s "$d/README.md" ] || fail "$n: no README.md"
  [ -s "$d/refclock-bridge.conf" ] || fail "$n: no refclock-bridge.conf"
  [ -n "$(consumer_of "$d")" ] || fail "$n: not exactly one consumer file"
done
echo "ok layout: ${#DIRS[@]} directories, each with README.md, refclock-bridge.conf and one consumer file"

# --- The bridge's own check, on every example it ships.
n=0
while IFS= read -r conf; do
  "$RB_BIN" --check-config -c "$conf" || fail "--check-config refuses ${conf#"$EX"/}"
  n=$((n + 1))
done < <(find "$EX" -name refclock-bridge.conf | sort)
echo "ok --check-config: $n files"

# --- Cross-check: what each bridge file writes against what its snippet reads.
cat > "$T/cross.py" <<'PY'
# cross.py DIR CONSUMER: the bridge's sock paths and SHM units (of outputs some source
# feeds) must be exactly those the consumer reads, refids equal where the bridge's comment
# names one ("refid X"). An output whose comment says "read by no daemon" is exempt.
import re, sys
d, consumer = sys.argv[1:3]

def bridge(path):
    """The outputs fed by a source: name -> (type, path or unit, refid from a comment)."""
    sections, cur = {}, None
    for raw in open(path):
        line = raw.strip()
        m = re.match(r"^\[(\w+)(?:\s+([\w.-]+))?\]", line)
        if m:
            cur = (m.group(1).lower(), (m.group(2) or "").lower())
            sections.setdefault(cur, {"keys": {}, "comments": ""})
            continue
        if cur is None or not line:
            continue
        comment = re.search(r"[;#](.*)$", line)
        sections[cur]["comments"] += " " + (comment.group(1) if comment else "")
        kv = re.match(r"^([\w]+)\s*=\s*([^;#]*)", line)
        if kv:
            sections[cur]["keys"][kv.group(1).lower()] = kv.group(2).strip()
    fed = set()
    for (kind, _), s in sections.items():
        if kind == "source":
            fed |= {o.lower() for o in re.split(r"[,\s]+", s["keys"]["outputs"]) if o}
    out = {}
    for (kind, name), s in sections.items():
        if kind != "output" or name not in fed or "read by no daemon" in s["comments"]:
            continue
        refid = re.search(r"refid (\w+)", s["comments"])
        where = s["keys"]["path"] if s["keys"]["type"] == "sock" else int(s["keys"]["unit"])
        out[name] = (s["keys"]["type"], where, refid.group(1) if refid else None)
    return out

def consumer_reads(path):
    """(type, path or unit) -> refid or None, from chrony.conf, ntp.conf or ntp.toml."""
    reads = {}
    if path.endswith(".toml"):
        import tomllib
        for s in tomllib.load(open(path, "rb")).get("source", []):
            if s.get("mode") == "sock":
                reads[("sock", s["path"])] = None
        return reads
    for raw in open(path):
        w = raw.split("#")[0].split()
        if len(w) < 3 or w[0] != "refclock":
            continue
        refid = w[w.index("refid") + 1] if "refid" in w else None
        if w[1] == "SOCK":
            reads[("sock", w[2])] = refid
        elif w[1] == "SHM":
            reads[("shm", int(w[2]))] = refid
        elif w[1] == "shm" and w[2] == "unit":
            reads[("shm", int(w[3]))] = refid
    return reads

writes = bridge(d + "/refclock-bridge.conf")
reads = consumer_reads(d + "/" + consumer)
bad = []
wrote = {(t, w): (name, r) for name, (t, w, r) in writes.items()}
for key, (name, refid) in wrote.items():
    if key not in reads:
        bad.append("[output %s] writes %s %s, which %s does not read" % (name, *key, consumer))
    elif refid and reads[key] != refid:
        bad.append("[output %s] says refid %s, %s has %s" % (name, refid, consumer, reads[key]))
for key in reads:
    if key not in wrote:
        bad.append("%s reads %s %s, which no fed output writes" % (consumer, *key))
if bad:
    sys.exit("\n".join(bad))
print(" ".join("%s=%s%s" % (t, w, "/" + r if r else "") for (t, w), (_, r) in
               sorted(wrote.items(), key=str)))
PY
for d in "${DIRS[@]}"; do
  c=$(consumer_of "$d")
  [[ $c == *.service.d/* ]] && continue  # the OpenShift drop-in: checked below
  out=$(/usr/bin/python3 "$T/cross.py" "$d" "$c") || fail "${d##*/}: $out"
  echo "ok cross-check ${d##*/}: $out"
done

# --- chronyd's own parser: -p prints the configuration as parsed, and exits non-zero with
# "Fatal error" on a line it cannot parse. It touches no clock, but runs without
# CAP_SYS_TIME and with -x all the same.
chrony_parse() { $NOTIME chronyd -x -p -f "$1" 2>&1; }
printf 'refclock SOCK /run/chrony/x.sock refid X poll 2 nosuchoption\n' > "$T/bad-chrony.conf"
if chrony_parse "$T/bad-chrony.conf" > "$T/bad-chrony.out"; then
  fail "chronyd -p accepted a bad refclock option"
fi
grep -q 'Fatal error' "$T/bad-chrony.out" || fail "chronyd -p: no 'Fatal error' for a bad option"
chrony_version=$(chronyd --version | awk '{print $4}')
for d in "${DIRS[@]}"; do
  [ -f "$d/chrony.conf" ] || continue
  out=$(chrony_parse "$d/chrony.conf") || fail "${d##*/}/chrony.conf: chronyd -p: $out"
  # every directive line of the file is in what chronyd printed
  while IFS= read -r line; do
    grep -qxF "$line" <<< "$out" || fail "${d##*/}/chrony.conf: chronyd -p did not print '$line'"
  done < <(grep -v '^\s*\(#\|$\)' "$d/chrony.conf")
  echo "ok chronyd $chrony_version -p: ${d##*/}/chrony.conf ($(wc -l <<< "$out") directives)"
done

# --- ntpsec: no parse-only mode, so ntpd runs briefly in a network and an IPC namespace
# of its own (its SHM segments vanish with it), without CAP_SYS_TIME, with the discipline
# disabled; its log must have no CONFIG error and ntpq must list the snippet's refclocks.
ntpsec_run() { # NAME SNIPPET: runs ntpd on harness lines + SNIPPET; sets NTP_LOG, NTP_PEERS
  local name=$1 snippet=$2 ns=rbx$$$RANDOM pid
  mkdir -p "$T/$name"
  { echo "driftfile $T/$name/ntp.drift"; echo "statsdir $T/$name/"
    echo "disable ntp"; echo "disable kernel"; echo "restrict 127.0.0.1"
    cat "$snippet"; } > "$T/$name/ntp.conf"
  ip netns add "$ns" || fail "cannot create a network namespace"
  NETNS+=("$ns")  # deleted by lib.sh's cleanup
  ip -n "$ns" link set lo up
  NTP_LOG=$T/$name/ntpd.log
  # shellcheck disable=SC2086 # NOTIME is words
  ip netns exec "$ns" unshare --ipc -- $NOTIME "$NTPD" -n -c "$T/$name/ntp.conf" \
    -p "$T/$name/ntpd.pid" -l "$NTP_LOG" -I lo > /dev/null 2>&1 &
  pid=$!
  PIDS+=("$pid")
  ntpq_peers() { ip netns exec "$ns" "$NTPQ" -n -p 127.0.0.1 > "$T/$name/peers" 2>&1 &&
    grep -q '^ SHM' "$T/$name/peers"; }
  wait_for 15 ntpq_peers || true
  NTP_PEERS=$(cat "$T/$name/peers")
  # the segments ntpd made itself, for the record (units 2 and up: mode 666)
  NTP_SHM=$(nsenter -t "$pid" -i ipcs -m 2>/dev/null | awk '/^0x4e5450/ {print $1 ":" $4}' | xargs)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}
ntpsec_checked=0
for d in "${DIRS[@]}"; do
  [ -f "$d/ntp.conf" ] || continue
  printf 'refclock shm unit 9 refid BAD nosuchoption 1\n' > "$T/bad-ntp.conf"
  cat "$d/ntp.conf" >> "$T/bad-ntp.conf"
  ntpsec_run bad "$T/bad-ntp.conf"
  grep -q 'CONFIG: syntax error' "$NTP_LOG" || fail "ntpd logged no syntax error for a bad option"
  ntpsec_run "${d##*/}" "$d/ntp.conf"
  ! grep -E 'CONFIG: .*(error|unknown|invalid)' "$NTP_LOG" \
    || fail "${d##*/}/ntp.conf: ntpd's parser complains (above)"
  echo "$NTP_PEERS"
  # each refclock line of the snippet is a peer SHM(unit) with its refid
  while read -r unit refid; do
    grep -qE "^ SHM\($unit\) +\.$refid\. " <<< "$NTP_PEERS" \
      || fail "${d##*/}/ntp.conf: ntpd does not list SHM($unit) refid $refid"
  done < <(awk '$1 == "refclock" && $2 == "shm" {for (i = 1; i < NF; i++) {
    if ($i == "unit") u = $(i + 1); if ($i == "refid") r = $(i + 1)}; print u, r}' "$d/ntp.conf")
  echo "ok ntpsec $("$NTPD" --version 2>&1 | awk '{print $2; exit}'): ${d##*/}/ntp.conf parsed; its own segments: $NTP_SHM"
  ntpsec_checked=1
done
[ "$ntpsec_checked" = 1 ] || fail "no ntp.conf example"

# --- ntpd-rs: ntp-ctl validate parses the whole file as the daemon would.
NTP_CTL=$(command -v ntp-ctl || true)
toml_checked=0
for d in "${DIRS[@]}"; do
  [ -f "$d/ntp.toml" ] || continue
  if [ -z "$NTP_CTL" ]; then
    # ntpd-rs is packaged from Debian 13 on; there this part must run.
    [ "${release:-0}" -lt 13 ] 2>/dev/null \
      || fail "ntp-ctl not found (Debian 13: apt install ntpd-rs)"
    echo "note: ${d##*/}/ntp.toml: ntp-ctl validate skipped, ntpd-rs is not packaged before Debian 13 (this is Debian ${release:-?}); cross-checked above with tomllib"
    continue
  fi
  sed 's/^mode = "sock"$/&\nnosuchkey = 1/' "$d/ntp.toml" > "$T/bad.toml"
  if "$NTP_CTL" validate -c "$T/bad.toml" > "$T/bad-toml.out" 2>&1; then
    fail "ntp-ctl validate accepted an unknown key"
  fi
  out=$("$NTP_CTL" validate -c "$d/ntp.toml" 2>&1) || fail "${d##*/}/ntp.toml: $out"
  grep -q 'Config looks good' <<< "$out" || fail "${d##*/}/ntp.toml: ntp-ctl said: $out"
  echo "ok $("$NTP_CTL" --version 2>&1 | head -n 1) validate: ${d##*/}/ntp.toml"
  toml_checked=1
done
[ "$toml_checked" = 1 ] || [ -z "$NTP_CTL" ] || fail "no ntp.toml example"

# --- OpenShift: the files are what make-machineconfig embeds with its defaults, the
# drop-in's condition is the fallback's marker, and systemd parses the drop-in.
os=$EX/openshift-du
/usr/bin/python3 - "$GEN" "$os" <<'PY' || fail "openshift-du differs from make-machineconfig's files"
import importlib.machinery, importlib.util, sys
gen, d = sys.argv[1:3]
loader = importlib.machinery.SourceFileLoader("make_machineconfig", gen)
m = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
loader.exec_module(m)
a = m.parse_args(["--path", "/usr/sbin/refclock-bridge"])
for name, want in (("refclock-bridge.conf", m.bridge_conf(a)),
                   ("chronyd.service.d/20-refclock-bridge.conf", m.chronyd_dropin())):
    if open(d + "/" + name).read() != want:
        sys.exit("%s/%s is not what make-machineconfig writes (regenerate it)" % (d, name))
PY
marker=$(sed -n 's/^marker *= *\([^ ;#]*\).*/\1/p' "$os/refclock-bridge.conf")
cond=$(sed -n 's/^ConditionPathExists=!//p' "$os/chronyd.service.d/20-refclock-bridge.conf")
[ -n "$marker" ] && [ "$marker" = "$cond" ] || fail "openshift-du: marker '$marker', drop-in '$cond'"
grep -qx 'socket = /var/run/ptp/ptp4l.0.socket' "$os/refclock-bridge.conf" || fail "openshift-du socket"
grep -qx 'domain = 24' "$os/refclock-bridge.conf" || fail "openshift-du domain"
grep -qx 'phc2sys_auto = yes' "$os/refclock-bridge.conf" || fail "openshift-du phc2sys_auto"
echo "ok openshift-du: make-machineconfig's files byte for byte; marker $marker = drop-in condition"
if command -v systemd-analyze > /dev/null; then
  cp /proc/1/cgroup "$T/pid1.cgroup"
  verify_dropin() { # DROPIN: a stub chronyd.service with it; prints systemd's complaints
    rm -rf "$T/units" && mkdir -p "$T/units/chronyd.service.d"
    printf '[Unit]\nDescription=stub\n[Service]\nExecStart=/bin/true\n' > "$T/units/chronyd.service"
    cp "$1" "$T/units/chronyd.service.d/20-refclock-bridge.conf"
    SYSTEMD_LOG_TARGET=console timeout 30 systemd-analyze verify --man=no \
      "$T/units/chronyd.service" 2>&1
  }
  { cat "$os/chronyd.service.d/20-refclock-bridge.conf"; echo "NoSuchKey=1"; } > "$T/bad-dropin.conf"
  verify_dropin "$T/bad-dropin.conf" | grep -q "NoSuchKey" \
    || fail "systemd-analyze verify did not read the drop-in (no complaint about a bad key)"
  out=$(verify_dropin "$os/chronyd.service.d/20-refclock-bridge.conf") \
    || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify complains about the drop-in: $out"
  diff "$T/pid1.cgroup" /proc/1/cgroup || fail "PID 1's cgroup changed"
  echo "ok systemd-analyze verify: the chronyd drop-in is clean"
fi
# lib.sh's cleanup (kill of PIDs already gone) is not written for errexit either.
set +e
