#!/usr/bin/python3
"""Reads a real statime's observation socket every INTERVAL seconds and appends one line per
read to OUT: "UTC_TIME port_states offset_raw mean_delay_raw" (UTC_TIME in the bridge's log
format, e.g. 2026-03-14T12:00:00.123Z), or "UTC_TIME error WHAT" when the connection fails.
Like the bridge it never hangs up before EOF (statime 0.4's observer dies if a client does):
no timeout at all, so a stopped statime just makes it wait.
  statime_watch.py SOCKET OUT [INTERVAL]     runs until killed
  statime_watch.py --once SOCKET [TIMEOUT]   one read; exit 0 if statime answered a document"""
import datetime, json, socket, sys, time


def now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def read(path, timeout=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if timeout:  # only once connected: then statime answers at once unless it is stopped
        s.settimeout(timeout)
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    s.close()
    return json.loads(buf)


if sys.argv[1] == "--once":
    try:
        read(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 10)
    except (OSError, ValueError) as e:
        print(f"statime does not answer: {e}")
        sys.exit(1)
    sys.exit(0)

path, out = sys.argv[1], sys.argv[2]
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
with open(out, "a", buffering=1) as f:
    while True:
        try:
            i = read(path)["instance"]
            states = ",".join(p["port_state"] if isinstance(p["port_state"], str) else "other"
                              for p in i["port_ds"]) or "none"
            c = i["current_ds"]
            f.write(f"{now()} {states} {c['offset_from_master']} {c['mean_delay']}\n")
        except (OSError, ValueError, KeyError, TypeError) as e:
            f.write(f"{now()} error {type(e).__name__}\n")
        time.sleep(interval)
