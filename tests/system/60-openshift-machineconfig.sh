#!/bin/bash
# The OpenShift MachineConfig generator (systemd/openshift/make-machineconfig): for master and
# worker, with the bridge from an image and from a path, the YAML passes yamllint, is an
# Ignition 3.2.0 MachineConfig with the role label, embeds its files with their paths and
# modes and the enabled unit (which systemd-analyze verify finds clean), regenerates itself
# from its header, agrees with itself on the marker path, and its embedded configuration
# passes the real binary's --check-config. Bad parameters are usage errors.
. "$(dirname "$0")/lib.sh"
# After lib.sh, which is not written for errexit (a missing fake library stops it).
set -euo pipefail
GEN_PY=$(readlink -f "$HERE/../../systemd/openshift/make-machineconfig")
# The system's python3, as the other tests (a pyenv shim first in PATH costs 0.3 s a call).
GEN() { /usr/bin/python3 "$GEN_PY" "$@"; }
DIGEST=quay.io/example/refclock-bridge@sha256:$(printf '0123456789abcdef%.0s' 1 2 3 4)

command -v yamllint >/dev/null || skip "yamllint is not installed (make deps)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null \
  || skip "python3-yaml is not installed (make deps)"

# Strict-ish: yamllint's defaults as errors (-s), lines up to 100 columns except a single
# long word (the data: URLs, the image digest), '---' required, only true/false as booleans.
cat > "$T/yamllint.yaml" <<'CONF'
extends: default
rules:
  line-length:
    max: 100
    allow-non-breakable-words: true
    allow-non-breakable-inline-mappings: true
  document-start: {present: true}
  truthy: {allowed-values: ["true", "false"], check-keys: true}
CONF

# check.py FILE ROLE MODE INSTANCE OUTDIR IMAGE: the structural checks (MODE path, path-any
# or image); writes the embedded configuration and the unit into OUTDIR (bridge.conf, unit)
# and prints the header's command, one argument a line.
cat > "$T/check.py" <<'PY'
import base64, re, sys, urllib.parse, yaml
path, role, mode, instance, out = sys.argv[1:6]
text = open(path).read()
doc = yaml.safe_load(text)
def need(cond, what):
    if not cond:
        sys.exit("%s: %s" % (path, what))
need(doc["apiVersion"] == "machineconfiguration.openshift.io/v1", "apiVersion")
need(doc["kind"] == "MachineConfig", "kind")
need(doc["metadata"]["name"] == "99-%s-refclock-bridge" % role, "metadata.name")
need(doc["metadata"]["labels"] == {"machineconfiguration.openshift.io/role": role},
     "role label")
cfg = doc["spec"]["config"]
need(cfg["ignition"]["version"] == "3.2.0", "ignition.version is not the string 3.2.0")
want = {"/etc/refclock-bridge.conf": 0o644,
        "/etc/systemd/system/chronyd.service.d/20-refclock-bridge.conf": 0o644,
        "/etc/tmpfiles.d/refclock-bridge.conf": 0o644}
files = {}
for f in cfg["storage"]["files"]:
    need(f["path"] in want, "unexpected file %s" % f["path"])
    need(f["mode"] == want[f["path"]], "%s has mode %o" % (f["path"], f["mode"]))
    need(f.get("overwrite") is True, "%s: overwrite is not true" % f["path"])
    src = f["contents"]["source"]
    m = re.match(r"^data:(;base64)?,(.*)$", src, re.S)
    need(m, "%s: not a data: URL" % f["path"])
    raw = base64.b64decode(m.group(2), validate=True) if m.group(1) else \
        urllib.parse.unquote_to_bytes(m.group(2))
    files[f["path"]] = raw.decode()
need(sorted(files) == sorted(want), "files: %s" % sorted(files))
units = cfg["systemd"]["units"]
need([u["name"] for u in units] == ["refclock-bridge.service"], "unit names")
u = units[0]
need(u["enabled"] is True, "the unit is not enabled")
unit = u["contents"]

# The unit: sections and Key=Value lines only (continuations joined), the keys that matter.
keys, section = {}, None
for line in re.sub(r"\\\n", " ", unit).splitlines():
    if not line.strip() or line.startswith("#"):
        continue
    if re.match(r"^\[(Unit|Service|Install)\]$", line):
        section = line[1:-1]
        continue
    m = re.match(r"^([A-Za-z]+)=(.*)$", line)
    need(section and m, "unit line %r" % line)
    keys.setdefault((section, m.group(1)), []).append(m.group(2))
def one(sec, key):
    v = keys.get((sec, key), [])
    need(len(v) == 1, "unit: %s %s= appears %d times" % (sec, key, len(v)))
    return v[0]
need(one("Service", "Type") == "notify", "Type")
need(one("Service", "Restart") == "on-failure", "Restart")
need(one("Service", "RestartPreventExitStatus") == "78", "RestartPreventExitStatus")
need(one("Install", "WantedBy") == "multi-user.target", "WantedBy")
need("ptp4l" not in " ".join(keys.get(("Unit", "After"), [])), "ordered after ptp4l")
post = keys.get(("Service", "ExecStopPost"), [])
need(any("safe-state -c /etc/refclock-bridge.conf" in p for p in post), "no safe-state")
start = one("Service", "ExecStart")
if mode == "path-any":
    need(start.endswith("/refclock-bridge -c /etc/refclock-bridge.conf"), "ExecStart")
elif mode == "path":
    need(start == "/usr/local/bin/refclock-bridge -c /etc/refclock-bridge.conf", "ExecStart")
    need(post == ["/usr/local/bin/refclock-bridge safe-state -c /etc/refclock-bridge.conf"],
         "ExecStopPost")
    need("/run/ptp" in one("Service", "ReadWritePaths").split(), "ReadWritePaths")
else:
    need(start.startswith("/usr/bin/podman run "), "ExecStart is not podman run")
    for opt in ("--network=host", "--sdnotify=container", "--volume=/var/run/ptp:/var/run/ptp",
                "--volume=/run/dbus:/run/dbus",
                "--volume=/run/refclock-bridge:/run/refclock-bridge",
                "--volume=/etc/refclock-bridge.conf:/etc/refclock-bridge.conf:ro",
                "-c /etc/refclock-bridge.conf"):
        need(opt in start, "ExecStart lacks %s" % opt)
    need(one("Service", "NotifyAccess") == "all", "NotifyAccess")
    need("REFCLOCK_BRIDGE_IMAGE=" + sys.argv[6] in keys[("Service", "Environment")], "image")

# The configuration: the tracker of this instance, and the fallback's marker equal to the
# drop-in's condition.
conf = files["/etc/refclock-bridge.conf"]
def ini(section):
    m = re.search(r"^\[%s\]\n(.*?)(?=^\[|\Z)" % re.escape(section), conf, re.M | re.S)
    need(m, "config has no [%s]" % section)
    return dict(re.findall(r"^(\w+) = (\S+)", m.group(1), re.M))
tr = ini("tracker ptp4l" + instance)
need(tr["type"] == "ptp4l", "tracker type")
need(tr["socket"] == "/var/run/ptp/ptp4l.%s.socket" % instance, "tracker socket")
fb = ini("fallback ntp")
need(fb["trackers"] == "ptp4l" + instance, "fallback trackers")
need(fb["unit"] == "chronyd.service" and fb["phc2sys_auto"] == "yes", "fallback unit")
dropin = files["/etc/systemd/system/chronyd.service.d/20-refclock-bridge.conf"]
cond = re.findall(r"^ConditionPathExists=!(\S+)$", dropin, re.M)
need(re.search(r"^\[Unit\]$", dropin, re.M), "drop-in has no [Unit]")
need(cond == [fb["marker"]], "drop-in %s, config marker %s" % (cond, fb["marker"]))
tmpf = files["/etc/tmpfiles.d/refclock-bridge.conf"]
need(re.search(r"^d /run/ptp 0755 root root -$", tmpf, re.M), "tmpfiles.d")
need(fb["marker"].startswith("/var/run/ptp/"), "marker outside /var/run/ptp")
open(out + "/bridge.conf", "w").write(conf)
open(out + "/unit", "w").write(unit)

# The header: what generated the file, and with which parameters (the command, unwrapped).
need(text.startswith("# Generated by systemd/openshift/make-machineconfig"), "header")
head = text.split("\n---\n")[0]
cmd = re.search(r"^#   (make-machineconfig .*?)$\n(?!#  )", head, re.M | re.S)
need(cmd, "no command in the header")
words = re.sub(r" \\\n#\s+", " ", cmd.group(1)).split()
img = re.search(r"^# IMAGE=(\S+)$", head, re.M)
print("\n".join(img.group(1) if w == "$IMAGE" else w for w in words[1:]))
PY

# gen NAME ARGS...: writes $T/NAME.yaml and checks it.
gen() {
  local name=$1
  shift
  GEN "$@" -o "$T/$name.yaml" || fail "$name: the generator failed"
  [ "$(stat -c %a "$T/$name.yaml")" = 644 ] || fail "$name: -o file mode"
  cmp -s "$T/$name.yaml" <(GEN "$@") || fail "$name: -o and stdout differ"
  yamllint -s -c "$T/yamllint.yaml" "$T/$name.yaml" || fail "$name: yamllint"
}

# check NAME ROLE MODE INSTANCE [IMAGE]: the structural checks, then the header's command
# must write the same file again.
check() {
  local name=$1 args=()
  mkdir -p "$T/$name"
  /usr/bin/python3 "$T/check.py" "$T/$name.yaml" "$2" "$3" "$4" "$T/$name" "${5:-}" \
    > "$T/$name/cmd" || fail "$name: structural checks"
  mapfile -t args < "$T/$name/cmd"
  cmp -s "$T/$name.yaml" <(GEN "${args[@]}") \
    || fail "$name: the header's command (${args[*]}) writes another file"
  echo "ok $name: yamllint, Ignition 3.2.0, role $2, files and modes, unit, marker, header"
}

gen worker-path --path /usr/local/bin/refclock-bridge
check worker-path worker path 0
gen master-path --role master --path /usr/local/bin/refclock-bridge
check master-path master path 0
gen worker-image --image "$DIGEST"
check worker-image worker image 0 "$DIGEST"
gen master-image --role master --instance 3 --domain 25 --enter-after 0.5 --exit-after 120 \
  --min-interval 30 --max-offset 250 --holdover 0 --metrics-dir /var/lib/node-exporter \
  --image "$DIGEST"
check master-image master image 3 "$DIGEST"
for kv in "domain = 25" "enter_after = 0.5" "exit_after = 120" "min_interval = 30" \
  "max_offset = 250" "holdover = 0" "metrics_dir = /var/lib/node-exporter"; do
  grep -qx "$kv" "$T/master-image/bridge.conf" || fail "master-image: no '$kv'"
done
grep -q -- "--volume=/var/lib/node-exporter:/var/lib/node-exporter" "$T/master-image/unit" \
  || fail "master-image: the metrics directory is not mounted"
echo "ok parameters reach the configuration and the unit"

# systemd's own parser on both units (it checks that the programs exist: the built binary
# stands in for the path, /bin/true for podman). verify loads the units in this process and
# starts nothing; PID 1's cgroup is checked unchanged all the same.
if command -v systemd-analyze >/dev/null; then
  cp /proc/1/cgroup "$T/pid1.cgroup"
  mkdir -p "$T/verify/image" "$T/bin"
  ln -s "$RB_BIN" "$T/bin/refclock-bridge"  # a path the generator accepts, wherever RB_BIN is
  GEN --path "$T/bin/refclock-bridge" -o "$T/verify-path.yaml"
  /usr/bin/python3 "$T/check.py" "$T/verify-path.yaml" worker path-any 0 "$T/verify" \
    > /dev/null || fail "verify-path: structural checks"
  cp "$T/verify/unit" "$T/verify/refclock-bridge.service"
  sed 's|/usr/bin/podman|/bin/true|g' "$T/worker-image/unit" \
    > "$T/verify/image/refclock-bridge.service"
  for u in "$T/verify/refclock-bridge.service" "$T/verify/image/refclock-bridge.service"; do
    timeout 30 systemd-analyze verify --man=no "$u" > "$T/verify.out" 2>&1 \
      || { cat "$T/verify.out"; fail "systemd-analyze verify $u"; }
    [ ! -s "$T/verify.out" ] || { cat "$T/verify.out"; fail "systemd-analyze warns on $u"; }
  done
  # (not cmp -s, which calls files of different st_size different, and /proc's are 0)
  diff "$T/pid1.cgroup" /proc/1/cgroup || fail "PID 1's cgroup changed"
  echo "ok systemd-analyze verify: both units clean"
fi

# Bad parameters: usage error (2), nothing written.
for bad in "--role infra --path /x" "--path relative/bridge" "--image" \
  "--image a%b" "--image a b" "--path /x --image y" "--path /x --domain 256" \
  "--path /x --enter-after -1" "--path /x --max-offset 0" "--path /x --instance x" ""; do
  rc=0
  # shellcheck disable=SC2086 # the words are the arguments
  GEN $bad -o "$T/bad.yaml" > "$T/bad.out" 2>&1 || rc=$?
  [ "$rc" = 2 ] || fail "'$bad': exit $rc, not 2"
  [ ! -e "$T/bad.yaml" ] || fail "'$bad': wrote a file"
done
echo "ok bad parameters: exit 2, nothing written"

# Last, the real binary on every embedded configuration.
for name in worker-path master-path worker-image master-image; do
  "$RB_BIN" --check-config -c "$T/$name/bridge.conf" \
    || fail "$name: the embedded configuration fails --check-config"
done
echo "ok the embedded configurations pass --check-config"
