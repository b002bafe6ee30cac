#!/usr/bin/python3
"""A stand-in for statime's observation socket: on each connection writes the JSON document
named in CONTROL_FILE (a path to a fixture) and closes, as statime does.
Like statime, it refreshes its snapshot only now and then (statime: after each BMCA, every 2 s
by default; here every REFRESH seconds, default 0.5): program.uptime_seconds advances at each
refresh, so connections between two refreshes get the same bytes. While CONTROL_FILE.frozen
exists the snapshot stops changing, as a stuck statime's would. Documents that are not JSON
(the garbage fixtures) are sent as they are.
Usage: fakestatime.py SOCKET CONTROL_FILE [REFRESH]"""
import json, os, socket, sys, time

path, control = sys.argv[1], sys.argv[2]
refresh = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
start = time.monotonic()
snapshot = 0
while True:
    conn, _ = srv.accept()
    if not os.path.exists(control + ".frozen"):
        snapshot = int((time.monotonic() - start) / refresh)
    try:
        with open(open(control).read().strip(), "rb") as f:
            doc = f.read()
        try:
            obj = json.loads(doc)
            obj["program"]["uptime_seconds"] += snapshot * refresh
            doc = json.dumps(obj, separators=(",", ":")).encode()
        except (ValueError, KeyError, TypeError):
            pass
        conn.sendall(doc)
    except OSError:
        pass
    conn.close()
