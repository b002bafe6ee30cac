# The Grafana dashboard (examples/grafana/refclock-bridge.json) is a dashboard Grafana can
# import (uid, title, schemaVersion, panels placed on the grid, a Prometheus data source
# variable), and every refclock_bridge_ metric its queries name is one the bridge really
# writes: a bridge with a fake PHC, a tracker following a real ptp4l pair (LOCKED, with a
# valid UTC offset) and SOCK and SHM outputs must have each of them in its metrics file.
. "$(dirname "$0")/lib.sh"
DASH=$HERE/../../examples/grafana/refclock-bridge.json
ptp_netns_setup
shm_unit 53
start_chronyd "refclock SOCK $T/chrony/phc0.sock refid PHC0 poll 0 filter 1"
ptp4l_start s
ptp4l_start m
cat > "$T/bridge.conf" <<CONF
[bridge]
metrics_interval = 1
$(ptp4l_tracker_conf ptp)
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
tracker = ptp
outputs = chrony, ntpd
[output chrony]
type = sock
path = $T/chrony/phc0.sock
[output ntpd]
type = shm
unit = 53
[fallback ntp]
trackers = ptp
unit = none
marker = $T/insync
enter_after = 1
exit_after = 1
min_interval = 1
CONF
start_bridge "$T/bridge.conf" FAKEDEV_PTP=/dev/ptp0 FAKEDEV_PTP0=offset_ns=37000123456
PROM=$METRICS_DIR/refclock-bridge.prom
ptp4l_certain
# A valid UTC offset, so that the tracker has every value it can report.
gm="clockClass 248 clockAccuracy 0xfe offsetScaledLogVariance 0xffff currentUtcOffset 37"
gm+=" leap61 0 leap59 0 currentUtcOffsetValid 1 ptpTimescale 0 timeTraceable 1"
gm+=" frequencyTraceable 0 timeSource 0xa0"
pmc_ m "SET GRANDMASTER_SETTINGS_NP $gm" > /dev/null
complete() {
  grep -q '^refclock_bridge_tracker_utc_offset_seconds{tracker="ptp",kind="ptp4l"} 37$' "$PROM" &&
    grep -q '^refclock_bridge_source_up{source="phc0",kind="phc"} 1$' "$PROM" &&
    grep -q '^refclock_bridge_source_offset_seconds{' "$PROM" &&
    grep -q '^refclock_bridge_fallback_mode{fallback="ntp",mode="ptp"} 1$' "$PROM"
}
wait_for 30 complete || { cat "$PROM"; fail "no working source and tracker with a UTC offset"; }
cp "$PROM" "$T/live.prom"

/usr/bin/python3 - "$DASH" "$T/live.prom" <<'PY' || fail "dashboard check failed"
import json, re, sys

dash_path, live_path = sys.argv[1], sys.argv[2]
problems = []
with open(dash_path) as f:
    d = json.load(f)

# The shape Grafana imports.
for key, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
    if not isinstance(d.get(key), kind):
        problems.append(f"top level: {key} missing or not {kind.__name__}")
variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
ds_vars = {n for n, v in variables.items() if v.get("type") == "datasource"}
inputs = {i.get("name") for i in d.get("__inputs", []) if i.get("type") == "datasource"}
for want in ("instance", "source", "tracker"):
    if want not in variables:
        problems.append(f"no template variable {want}")

def ds_ok(ds):
    uid = ds.get("uid", "") if isinstance(ds, dict) else ds
    m = re.fullmatch(r"\$\{?(\w+)\}?", uid or "")
    return bool(m) and (m.group(1) in ds_vars or m.group(1) in inputs)

def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))

ids, queries, cells = set(), [], {}
for p in walk(d.get("panels", [])):
    name = f"panel {p.get('id')} ({p.get('title')!r})"
    if p.get("id") in ids:
        problems.append(f"{name}: id used twice")
    ids.add(p.get("id"))
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24:
        problems.append(f"{name}: bad gridPos {g}")
        continue
    cover = [(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])]
    clash = next((cells[c] for c in cover if c in cells), None)
    if clash:
        problems.append(f"{name}: overlaps {clash}")
    cells.update((c, name) for c in cover)
    if p.get("type") == "row":
        continue
    if not p.get("title") or not p.get("type"):
        problems.append(f"{name}: no title or type")
    if not ds_ok(p.get("datasource")):
        problems.append(f"{name}: data source {p.get('datasource')} is no variable or input")
    if not p.get("targets"):
        problems.append(f"{name}: no targets")
    for t in p.get("targets", []):
        if "datasource" in t and not ds_ok(t["datasource"]):
            problems.append(f"{name}: target data source {t['datasource']}")
        if not t.get("expr"):
            problems.append(f"{name}: target {t.get('refId')} has no expr")
        queries.append((name, t.get("expr", "")))
for n, v in variables.items():
    q = v.get("query")
    if v.get("type") == "query":
        queries.append((f"variable {n}", q.get("query", "") if isinstance(q, dict) else q))

# Every refclock_bridge_ metric named must be in the live file.
live = set()
with open(live_path) as f:
    for line in f:
        if line.strip() and not line.startswith("#"):
            live.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
used = {}
for where, expr in queries:
    for m in re.findall(r"\brefclock_bridge_[a-zA-Z0-9_]*", expr):
        m = re.sub(r"_(bucket|sum|count)$", "", m)
        used.setdefault(m, where)
unknown = sorted(m for m in used if m not in live)
for m in unknown:
    problems.append(f"{used[m]}: {m} is not in the bridge's metrics file")
print(f"{len(list(walk(d['panels'])))} panels, {len(queries)} queries, "
      f"{len(used)} metrics named, all {len(used) - len(unknown)} of them written by the bridge"
      if not unknown else f"unknown metrics: {', '.join(unknown)}")
for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
PY
stop_bridge
[ "$BRIDGE_RC" -eq 0 ] || fail "bridge exit code $BRIDGE_RC"
echo ok
