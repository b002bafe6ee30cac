#!/usr/bin/python3
"""A stand-in for statime 0.4's observation socket that behaves as the real daemon does (see
tests/data/statime/README.md): on each connection it writes the JSON document named in
CONTROL_FILE (a path to a fixture) at once and closes.
- program.uptime_seconds is computed for every connection, as statime's observer does.
- The instance part changes only when a new snapshot is published (statime: after each BMCA;
  here every REFRESH seconds, default 0.5). While statime's filter has an estimate its
  mean_delay moves a little with every snapshot; here it grows by 2^-32 s (1e9 raw) per
  snapshot, cycling over 64 (v0.3's offset, in whole ns, alternates by 1 ns). A document
  without an estimate (offset_from_master and mean_delay both 0) stays the same, as it does
  in statime. While CONTROL_FILE.frozen exists no new snapshot is published, as from a stuck
  statime.
- A client that hung up before the document was written (EPIPE) ends the observer for good,
  as `write_json(...).await?` does in statime 0.4: the listening socket is closed and later
  connections are refused, while the process lives on.
- Killed, it leaves its socket file behind: connecting then gives ECONNREFUSED.
Documents that are not JSON (the garbage fixtures) are sent as they are.
Usage: fakestatime.py SOCKET CONTROL_FILE [REFRESH]"""
import json, os, socket, sys, time

path, control = sys.argv[1], sys.argv[2]
refresh = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(128)
start = time.monotonic()
snapshot = 0


def document():
    with open(open(control).read().strip(), "rb") as f:
        doc = f.read()
    try:
        obj = json.loads(doc)
    except ValueError:
        return doc
    try:
        obj["program"]["uptime_seconds"] = round(time.monotonic() - start, 9)
        cur = obj["instance"]["current_ds"]
        if "mean_delay" not in cur:  # v0.3: no mean_delay, offset in whole ns
            cur["offset_from_master"] += snapshot % 2
        elif cur["offset_from_master"] or cur["mean_delay"]:
            cur["mean_delay"] += (snapshot % 64) * 1000000000
    except (KeyError, TypeError, AttributeError):
        pass
    return json.dumps(obj, separators=(",", ":")).encode()


while True:
    conn, _ = srv.accept()
    if not os.path.exists(control + ".frozen"):
        snapshot = int((time.monotonic() - start) / refresh)
    try:
        doc = document()
    except OSError:
        doc = b""
    try:
        conn.sendall(doc)
    except OSError as e:
        print(f"fakestatime: write failed ({e}): the observer stops, as statime's does",
              file=sys.stderr, flush=True)
        conn.close()
        srv.close()
        while True:
            time.sleep(3600)
    conn.close()
