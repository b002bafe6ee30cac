#!/usr/bin/python3
"""A scripted gpsd for malformed-input tests: speaks gpsd's JSON on TCP, once a second sends
TPV (3D fix), TOFF (serial time, 0.3 s late) and PPS (an edge PPS_OFFSET_NS before the
second), interleaved with malformed lines.
Usage: fakegpsd.py PORT [GARBAGE_PER_CYCLE [TOFF_CYCLES]]: after TOFF_CYCLES cycles TOFF stops
while TPV goes on (serial time goes stale with the fix still reported).
Environment: FAKEGPSD_WATCHLOG=FILE appends every command a client sends; FAKEGPSD_ERROR=1
answers a WATCH for a device other than /dev/ttyX with gpsd's ERROR (else such a filter is
ignored, as by a gpsd that could not parse it, and /dev/ttyX's reports still flow);
FAKEGPSD_HOSTILE=DIR sends every line of the files in DIR once, after the third cycle of the
first connection, and prints "hostile lines sent"; FAKEGPSD_DUP_TPV=N sends N TPVs for the same
second in the first cycle of each connection, as gpsd may at start."""
import json, os, socket, sys, time

PPS_OFFSET_NS = 123456  # true minus system at the edge
port = int(sys.argv[1])
garbage_per_cycle = int(sys.argv[2]) if len(sys.argv) > 2 else 3
toff_cycles = int(sys.argv[3]) if len(sys.argv) > 3 else -1
GARBAGE = [
    b'this is not json\n',
    b'{"class":"TPV","device":"/dev/ttyX","mode":3,"time":"2026-\n',   # truncated
    b'{"device":"/dev/ttyX","mode":3}\n',                               # no class
    b'\x00\xff\xfe binary noise \x80\n',
    b'{"class":"TOFF","real_sec":"soon"}\n',                           # wrong types
    b'[1,2,3]\n',
]

hostile = []
if os.environ.get("FAKEGPSD_HOSTILE"):
    d = os.environ["FAKEGPSD_HOSTILE"]
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            hostile += [l + b'\n' for l in f.read().split(b'\n') if l]
dup_tpv = int(os.environ.get("FAKEGPSD_DUP_TPV", "1"))

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)
while True:
    conn, _ = srv.accept()
    conn.sendall(b'{"class":"VERSION","release":"3.22","rev":"3.22","proto_major":3,"proto_minor":14}\n')
    conn.setblocking(False)
    g = 0
    cycle = 0
    try:
        while True:
            try:
                cmd = conn.recv(4096)
            except BlockingIOError:
                cmd = b''
            if cmd and os.environ.get("FAKEGPSD_WATCHLOG"):
                with open(os.environ["FAKEGPSD_WATCHLOG"], "ab") as f:
                    f.write(cmd)
            if cmd.startswith(b'?WATCH=') and os.environ.get("FAKEGPSD_ERROR"):
                dev = json.loads(cmd[7:cmd.index(b';')]).get("device", "/dev/ttyX")
                if dev != "/dev/ttyX":
                    conn.sendall(b'{"class":"ERROR","message":"No such device as %s"}\n' % dev.encode())
            now = time.time_ns()
            sec = now // 10**9 + 1
            time.sleep((sec * 10**9 - now) / 1e9)       # at the whole second
            edge = sec * 10**9 - PPS_OFFSET_NS
            t = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(sec))
            lines = [
                b'{"class":"PPS","device":"/dev/ttyX","real_sec":%d,"real_nsec":0,"clock_sec":%d,"clock_nsec":%d,"precision":-20}\n'
                % (sec, edge // 10**9, edge % 10**9),
                b'{"class":"TPV","device":"/dev/ttyX","mode":3,"time":"%s","ept":0.005}\n' % t.encode(),
                b'{"class":"TOFF","device":"/dev/ttyX","real_sec":%d,"real_nsec":0,"clock_sec":%d,"clock_nsec":300000000,"precision":-1}\n'
                % (sec, sec),
            ]
            cycle += 1
            if cycle == 1:
                lines[1:2] = lines[1:2] * dup_tpv
            if 0 <= toff_cycles < cycle:
                lines = lines[:2]
            if cycle == 4 and hostile:
                lines = hostile + lines
            for i, line in enumerate(lines):
                conn.sendall(line)
                for _ in range(garbage_per_cycle if i == 0 else 0):
                    conn.sendall(GARBAGE[g % len(GARBAGE)])
                    g += 1
            if cycle == 4 and hostile:
                hostile = []
                print("hostile lines sent", flush=True)
    except (BrokenPipeError, ConnectionResetError):
        conn.close()
