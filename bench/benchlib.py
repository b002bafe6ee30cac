#!/usr/bin/python3
"""Helpers for bench/run.sh. Standard library only.

  benchlib.py sink DIR N OUT EXPECT_NS
      Binds N Unix datagram sockets DIR/s0.sock .. DIR/s{N-1}.sock, as chronyd's refclock SOCK
      would, and decodes every datagram as struct sock_sample (64-bit time_t layout, 40 bytes).
      Writes OUT.ready once bound. On SIGTERM/SIGINT it drains what is queued and writes OUT:
      one line per socket "index count bad max_err_ns max_tv_lag_ms", then a line
      "all count bad max_err_ns max_tv_lag_ms". err is |offset * 1e9 - EXPECT_NS|; bad counts
      datagrams of the wrong size or with a wrong magic, pulse or leap.

  benchlib.py cgparse FILE
      Reads a callgrind output file written with --compress-strings=no --compress-pos=no and
      prints "total_ir fake_ioctl_calls fake_ioctl_inclusive_ir": all user-space instructions,
      the number of calls into libfakedev.so's ioctl() (the emulated PHC reads and probes),
      and the instructions spent inside those calls (the emulated kernel work).

  benchlib.py cgdiff SHORT_FILE LONG_FILE SAMPLES
      The marginal self instructions per sample of each ELF object (the program, libc,
      libsystemd, libfakedev, ...), from two such files: where the instructions go.

  benchlib.py shmread UNIT
      Prints "count clock_minus_receive_ns valid" of NTP SHM segment 0x4e545030 + UNIT,
      attached read-only and left in place. Exits 1 if it does not exist.

  benchlib.py proc PID...
      Prints "cpu_ns vmhwm_kib pss_kib" summed over the PIDs: CPU time from
      /proc/PID/task/*/schedstat (ns), or from utime+stime in /proc/PID/stat when schedstat
      reads 0; VmHWM from /proc/PID/status; Pss from /proc/PID/smaps_rollup.

  benchlib.py rssmap PID [N]
      The N largest resident mappings of PID by object, in KiB: what the RSS is made of.

  benchlib.py rec OUT PATH...
      Binds a Unix datagram socket at each PATH and records every datagram until SIGTERM, with
      the kernel's timestamp of when the sender queued it (SO_TIMESTAMPNS; user-space receive
      time if the kernel gives none). Writes OUT.ready once bound; on exit OUT has one line per
      datagram, "index tv_ns offset_ns recv_ns kernel" (kernel 1: recv_ns is the kernel's
      stamp), or "index bad - recv_ns kernel" for one that is not a well-formed sock_sample.

  benchlib.py nmeafeed PORT [DELAY_MS]
      A GNSS receiver on TCP 127.0.0.1:PORT for gpsd (device tcp://127.0.0.1:PORT): RMC, GGA and
      GSA with a 3D fix for each second, sent DELAY_MS (default 100) after the second begins,
      as a receiver's serial output follows its PPS edge.

  benchlib.py gpswatch PORT OUT
      A gpsd client: ?WATCH with json and pps, records each PPS report until SIGTERM as
      "clock_ns real_ns recv_ns kernel" in OUT (recv_ns from the kernel's TCP receive stamp
      when available). Writes OUT.ready once connected.

  benchlib.py ppslat EXPECT_NS T0_NS T1_NS FILE KIND [INDEX]
      PPS edge -> sample latency of the edges whose system time is in [T0, T1]: KIND rec (an
      OUT of rec, datagrams of socket INDEX) or watch (an OUT of gpswatch). Prints
      "n p50_ms p99_ms max_ms bad kernel_stamps" (percentiles linearly interpolated). A SOCK
      sample's tv is the edge's system time truncated to the microsecond, but its offset is
      exact and the edge's true time is a whole second, so edge = round(tv + offset) - offset
      exactly; latency = recv - edge. bad: offsets other than EXPECT_NS.

  benchlib.py faultrun KEY=VALUE...
      Part 5: runs the bridge (PHC + PPS locked to a gpsd source fed by tests/system/
      fakegpsd.py) into three recorded SOCK sockets for warmup + seconds, injecting a fault
      every 10 s in turn (sink sockets gone 2 s, fakegpsd killed and restarted after 2 s,
      /dev/pps0 gone 2 s, /dev/ptp0 gone 2 s), and writes the loss table to OUT.
      See cmd_faultrun for the keys.

  benchlib.py ptptrials KEY=VALUE...
      Part 6: a ptp4l pair (free_running) in the network namespaces run.sh made, the bridge's
      ptp4l tracker gating /dev/ptp0 into an SHM segment; kills the master (SIGKILL) and
      restarts it, TRIALS times, and times ptp4l's SLAVE to LISTENING, the bridge's
      LOCKED -> HOLDOVER and the SHM leap field going to 3 (and, with default intervals, the
      last Sync). Writes "KEY n p50 p99 max" lines (ms) to OUT, one line per trial to
      OUT.detail. See cmd_ptptrials for the keys.
"""
import calendar
import ctypes
import ctypes.util
import heapq
import json
import os
import random
import re
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time

SOCK_SAMPLE = struct.Struct("=qqdiiii")  # struct timeval; double; pulse, leap, _pad, magic
SOCK_MAGIC = 0x534F434B


def cmd_sink(argv):
    d, n, out, expect_ns = argv[0], int(argv[1]), argv[2], float(argv[3])
    sel = selectors.DefaultSelector()
    stats = []
    for i in range(n):
        path = os.path.join(d, "s%d.sock" % i)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(path)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        stats.append([0, 0, 0.0, 0.0])  # count, bad, max_err_ns, max_tv_lag_ms

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(out + ".ready", "w") as f:
        f.write("%d\n" % os.getpid())

    def drain(sock, i):
        st = stats[i]
        while True:
            try:
                data = sock.recv(64)
            except BlockingIOError:
                return
            now = time.time()
            st[0] += 1
            if len(data) != SOCK_SAMPLE.size:
                st[1] += 1
                continue
            sec, usec, offset, pulse, leap, _pad, magic = SOCK_SAMPLE.unpack(data)
            if magic != SOCK_MAGIC or pulse != 0 or leap != 0:
                st[1] += 1
                continue
            err = abs(offset * 1e9 - expect_ns)
            if err > st[2]:
                st[2] = err
            lag = abs(now - (sec + usec * 1e-6)) * 1e3
            if lag > st[3]:
                st[3] = lag

    while not stop:
        for key, _ in sel.select(0.5):
            drain(key.fileobj, key.data)
    for key in list(sel.get_map().values()):
        drain(key.fileobj, key.data)

    tot = [0, 0, 0.0, 0.0]
    lines = []
    for i, st in enumerate(stats):
        lines.append("%d %d %d %.3f %.3f" % (i, st[0], st[1], st[2], st[3]))
        tot[0] += st[0]
        tot[1] += st[1]
        tot[2] = max(tot[2], st[2])
        tot[3] = max(tot[3], st[3])
    lines.append("all %d %d %.3f %.3f" % tuple(tot))
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(out + ".tmp", out)
    for i in range(n):
        try:
            os.unlink(os.path.join(d, "s%d.sock" % i))
        except OSError:
            pass


def parse_callgrind(path):
    """Returns (total_ir, fake_ioctl_calls, fake_ioctl_inclusive_ir, {object: self_ir})."""
    total = None
    calls = incl = 0
    ob = cob = cfn = None
    self_ir = {}
    pending = None  # (is_fake_ioctl, n) between a calls= line and its cost line
    with open(path) as f:
        for line in f:
            c = line[:1]
            if c.isdigit() or c in "+-*":
                ir = int(line.split()[-1])
                if pending is not None:
                    if pending[0]:
                        calls += pending[1]
                        incl += ir
                    pending = None
                    cob = cfn = None
                else:
                    self_ir[ob] = self_ir.get(ob, 0) + ir
                continue
            if line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("fn="):
                cob = cfn = None
            elif line.startswith("cob="):
                cob = line[4:].strip()
            elif line.startswith("cfn="):
                cfn = line[4:].strip()
            elif line.startswith("calls="):
                target = cob if cob is not None else ob
                is_fake = cfn == "ioctl" and target is not None and "libfakedev" in target
                pending = (is_fake, int(line[6:].split()[0]))
            elif line.startswith("totals:") or (line.startswith("summary:") and total is None):
                total = int(line.split()[1])
    if total is None:
        sys.exit("cgparse: no totals in %s" % path)
    return total, calls, incl, self_ir


def cmd_cgparse(argv):
    print(*parse_callgrind(argv[0])[:3])


def cmd_cgdiff(argv):
    """cgdiff SHORT LONG SAMPLES: marginal self instructions per sample of each object, largest
    first, as "object=Ir" items (objects under 2% of the total are summed into "other")."""
    a = parse_callgrind(argv[0])[3]
    b = parse_callgrind(argv[1])[3]
    n = float(argv[2])
    d = {}
    for ob in set(a) | set(b):
        name = os.path.basename(ob or "?")
        name = name.split(".so")[0] if ".so" in name else name
        d[name] = d.get(name, 0) + (b.get(ob, 0) - a.get(ob, 0)) / n
    tot = sum(d.values())
    items, other = [], 0.0
    for name, v in sorted(d.items(), key=lambda kv: -kv[1]):
        if tot > 0 and v >= 0.02 * tot:
            items.append("%s %.0f" % (name, v))
        else:
            other += v
    if abs(other) >= 0.5:
        items.append("other %.0f" % other)
    print(", ".join(items))


class ShmTime(ctypes.Structure):
    _fields_ = [("mode", ctypes.c_int), ("count", ctypes.c_int),
                ("clockSec", ctypes.c_long), ("clockUSec", ctypes.c_int),
                ("recvSec", ctypes.c_long), ("recvUSec", ctypes.c_int),
                ("leap", ctypes.c_int), ("precision", ctypes.c_int),
                ("nsamples", ctypes.c_int), ("valid", ctypes.c_int),
                ("clockNSec", ctypes.c_uint), ("recvNSec", ctypes.c_uint),
                ("dummy", ctypes.c_int * 8)]


def cmd_shmread(argv):
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmdt.argtypes = [ctypes.c_void_p]
    shmid = libc.shmget(0x4E545030 + int(argv[0]), ctypes.sizeof(ShmTime), 0)
    if shmid < 0:
        sys.exit(1)
    addr = libc.shmat(shmid, None, 0o10000)  # SHM_RDONLY
    if addr in (None, ctypes.c_void_p(-1).value):
        sys.exit(1)
    t = ShmTime.from_address(addr)
    off = (t.clockSec - t.recvSec) * 10**9 + (t.clockNSec - t.recvNSec)
    print(t.count, off, t.valid)
    libc.shmdt(ctypes.c_void_p(addr))


def proc_cpu_ns(pid):
    total = 0
    try:
        for tid in os.listdir("/proc/%s/task" % pid):
            with open("/proc/%s/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        total = 0
    if total == 0:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        total = ticks * 10**9 // os.sysconf("SC_CLK_TCK")
    return total


def proc_kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmd_proc(argv):
    cpu = hwm = pss = 0
    for pid in argv:
        cpu += proc_cpu_ns(pid)
        hwm += proc_kib("/proc/%s/status" % pid, "VmHWM")
        pss += proc_kib("/proc/%s/smaps_rollup" % pid, "Pss")
    print(cpu, hwm, pss)


def cmd_rssmap(argv):
    """rssmap PID [N]: the N (default 6) largest resident mappings of PID, by object."""
    pid, top = argv[0], int(argv[1]) if len(argv) > 1 else 6
    rss, name = {}, "?"
    with open("/proc/%s/smaps" % pid) as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                parts = line.split()
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anon]"
                name = name.split(".so")[0] if ".so" in name else name
            elif first == "Rss:":
                rss[name] = rss.get(name, 0) + int(line.split()[1])
    items = sorted(rss.items(), key=lambda kv: -kv[1])
    out = ["%s %d" % kv for kv in items[:top] if kv[1] > 0]
    rest = sum(v for _, v in items[top:])
    if rest:
        out.append("other %d" % rest)
    print(", ".join(out))


# ---- PPS latency (part 4) and faults (part 5) ------------------------------------------------

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # the Linux value where Python lacks it
TIMESPEC = struct.Struct("=qq")
NS = 10**9


def bind_dgram(path):
    """A non-blocking Unix datagram socket bound at PATH (a stale file is replaced), asking the
    kernel for receive timestamps."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        pass
    s.bind(path)
    s.setblocking(False)
    return s


def recv_stamped(sock, size=64):
    """(data, recv_ns, from_kernel) for one queued message, or None when nothing is queued.
    af_unix stamps a datagram when the sender queues it (if the receiver asked for stamps), so
    for SOCK samples recv_ns is when the sample was sent, whatever the sink's scheduling."""
    try:
        data, anc, _flags, _addr = sock.recvmsg(size, socket.CMSG_SPACE(TIMESPEC.size))
    except (BlockingIOError, InterruptedError):
        return None
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= TIMESPEC.size:
            sec, nsec = TIMESPEC.unpack_from(cdata)
            return data, sec * NS + nsec, True
    return data, time.time_ns(), False


def decode_sample(data):
    """(tv_ns, offset_ns) of a well-formed struct sock_sample, else None."""
    if len(data) != SOCK_SAMPLE.size:
        return None
    sec, usec, offset, pulse, leap, _pad, magic = SOCK_SAMPLE.unpack(data)
    if magic != SOCK_MAGIC or pulse != 0 or leap != 0:
        return None
    return sec * NS + usec * 1000, int(round(offset * 1e9))


def on_term(flag):
    signal.signal(signal.SIGTERM, lambda *_: flag.append(1))
    signal.signal(signal.SIGINT, lambda *_: flag.append(1))


def cmd_rec(argv):
    out, paths = argv[0], argv[1:]
    sel = selectors.DefaultSelector()
    socks = []
    for i, path in enumerate(paths):
        s = bind_dgram(path)
        sel.register(s, selectors.EVENT_READ, i)
        socks.append(s)
    stop = []
    on_term(stop)
    with open(out + ".ready", "w") as f:
        f.write("%d\n" % os.getpid())
    rows = []

    def drain(i):
        while True:
            r = recv_stamped(socks[i])
            if r is None:
                return
            data, recv_ns, kernel = r
            d = decode_sample(data)
            if d is None:
                rows.append("%d bad - %d %d" % (i, recv_ns, kernel))
            else:
                rows.append("%d %d %d %d %d" % (i, d[0], d[1], recv_ns, kernel))

    while not stop:
        for key, _ in sel.select(0.5):
            drain(key.data)
    for i in range(len(socks)):
        drain(i)
    with open(out + ".tmp", "w") as f:
        f.write("".join(r + "\n" for r in rows))
    os.rename(out + ".tmp", out)
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def nmea(body):
    """One NMEA 0183 sentence: $BODY*XX with the XOR checksum of BODY."""
    c = 0
    for b in body.encode():
        c ^= b
    return "$%s*%02X\r\n" % (body, c)


def cmd_nmeafeed(argv):
    port = int(argv[0])
    delay_ns = (int(argv[1]) if len(argv) > 1 else 100) * 10**6
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(2)
    while True:
        conn, _ = srv.accept()
        try:
            while True:
                now = time.time_ns()
                sec = (now - delay_ns) // NS + 1
                time.sleep(max(0, sec * NS + delay_ns - time.time_ns()) / 1e9)
                t = time.gmtime(sec)
                hms, dmy = time.strftime("%H%M%S", t), time.strftime("%d%m%y", t)
                conn.sendall((nmea("GPRMC,%s.00,A,4807.038,N,01131.000,E,0.0,0.0,%s,,,A" % (hms, dmy))
                              + nmea("GPGGA,%s.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"
                                     % hms)
                              + nmea("GPGSA,A,3,04,05,09,12,24,25,29,31,,,,,1.8,0.9,1.5")).encode())
        except OSError:
            conn.close()


def cmd_gpswatch(argv):
    port, out = int(argv[0]), argv[1]
    stop = []
    on_term(stop)
    deadline = time.time() + 20
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            break
        except OSError:
            if stop or time.time() > deadline:
                sys.exit("gpswatch: cannot connect to port %d" % port)
            time.sleep(0.2)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        pass
    s.sendall(b'?WATCH={"enable":true,"json":true,"pps":true};\n')
    s.setblocking(False)
    with open(out + ".ready", "w") as f:
        f.write("%d\n" % os.getpid())
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    buf, rows = b"", []
    while not stop:
        if not sel.select(0.5):
            continue
        r = recv_stamped(s, 65536)
        if r is None:
            continue
        data, recv_ns, kernel = r
        if not data:
            break
        buf += data
        *lines, buf = buf.split(b"\n")
        for line in lines:
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if isinstance(m, dict) and m.get("class") == "PPS":
                rows.append("%d %d %d %d" % (m["clock_sec"] * NS + m["clock_nsec"],
                                             m["real_sec"] * NS + m["real_nsec"], recv_ns, kernel))
    with open(out + ".tmp", "w") as f:
        f.write("".join(r + "\n" for r in rows))
    os.rename(out + ".tmp", out)


def percentile(sorted_values, p):
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not sorted_values:
        return float("nan")
    pos = p / 100.0 * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def cmd_ppslat(argv):
    expect, t0, t1, path, kind = int(argv[0]), int(argv[1]), int(argv[2]), argv[3], argv[4]
    index = argv[5] if len(argv) > 5 else "0"
    lat, bad, kern = [], 0, 0
    with open(path) as f:
        for line in f:
            v = line.split()
            if kind == "rec":
                if v[0] != index:
                    continue
                if v[1] == "bad":
                    bad += 1
                    continue
                tv, off, recv, k = int(v[1]), int(v[2]), int(v[3]), int(v[4])
                edge = (tv + off + NS // 2) // NS * NS - off
            else:
                edge, real, recv, k = int(v[0]), int(v[1]), int(v[2]), int(v[3])
                off = real - edge
            if not t0 <= edge <= t1:
                continue
            if abs(off - expect) > 1:
                bad += 1
                continue
            lat.append((recv - edge) / 1e6)
            kern += k
    lat.sort()
    print("%d %.3f %.3f %.3f %d %d" % (len(lat), percentile(lat, 50), percentile(lat, 99),
                                       lat[-1] if lat else float("nan"), bad, kern))


def tcp_listening(port):
    """True if something listens on TCP port PORT (from /proc/net/tcp: no connection, which
    would tie up fakegpsd.py, a one-client server)."""
    want = ":%04X" % port
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                v = line.split()
                if v[1].endswith(want) and v[3] == "0A":
                    return True
    except OSError:
        pass
    return False


def backoff_reached(d_ns, first_ns=NS // 2, max_ns=8 * NS):
    """The bridge's reconnect schedule (0.5 s, doubling, capped): the first cumulative retry
    delay at or after d_ns."""
    step, t = first_ns, first_ns
    while t < d_ns:
        step = min(step * 2, max_ns)
        t += step
    return t


def cmd_faultrun(argv):
    """faultrun KEY=VALUE...
    out        report file (a table, ready to print); OUT.detail gets the fault times and
               every sample lost outside a fault window
    dir        directory for the three sink sockets s0 (phc), s1 (pps), s2 (gps) named in conf
    conf       bridge configuration; bridge: the binary; fakelib: the fake's .so (preloaded
               into the bridge only; the FAKEDEV_* variables come from our environment)
    ctl        the fake's control directory (FAKEDEV_CTL), for ptp0.gone and pps0.gone
    fakegpsd   tests/system/fakegpsd.py; port: its TCP port; python: interpreter
    seconds    measured window (default 120); warmup: before it (default 8)
    every      seconds between faults (10); down: fault length (2)
    phc_interval, pps_interval (s), phc_offset_ns, pps_offset_ns: as configured and injected
    gps_phase  the system time of a TOFF sample past its second (fakegpsd: 0.3 s late)
    pids       file that gets the PIDs this command starts (for the caller's cleanup)
    """
    a = dict(x.split("=", 1) for x in argv)
    seconds = float(a.get("seconds", 120))
    warm = float(a.get("warmup", 8))
    every = float(a.get("every", 10))
    down = float(a.get("down", 2))
    port = int(a["port"])
    phc_iv = int(float(a.get("phc_interval", 0.125)) * NS)
    pps_iv = int(float(a.get("pps_interval", 0.2)) * NS)
    phc_off = int(a.get("phc_offset_ns", 123456))
    pps_off = int(a.get("pps_offset_ns", 123456))
    gps_phase = int(float(a.get("gps_phase", 0.3)) * NS)
    names = ["phc", "pps", "gps"]
    paths = [os.path.join(a["dir"], "s%d.sock" % i) for i in range(3)]
    stop = []
    on_term(stop)
    sel = selectors.DefaultSelector()
    socks = [None] * 3
    samples = {n: [] for n in names}
    bad = {n: 0 for n in names}
    children = {}

    def note_pids():
        with open(a["pids"], "w") as f:
            f.write("".join("%d\n" % p.pid for p in children.values() if p.poll() is None))

    def bind_all():
        for i, path in enumerate(paths):
            socks[i] = bind_dgram(path)
            sel.register(socks[i], selectors.EVENT_READ, i)

    def drain(i):
        while socks[i] is not None:
            r = recv_stamped(socks[i])
            if r is None:
                return
            d = decode_sample(r[0])
            if d is None:
                bad[names[i]] += 1
            else:
                samples[names[i]].append(d)

    def unbind_all():
        for i, path in enumerate(paths):
            drain(i)
            sel.unregister(socks[i])
            socks[i].close()
            socks[i] = None
            os.unlink(path)

    def start_fakegpsd():
        children["fakegpsd"] = subprocess.Popen(
            [a.get("python", sys.executable), a["fakegpsd"], str(port), "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        note_pids()

    def stop_child(name):
        p = children.get(name)
        if p and p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    bind_all()
    start_fakegpsd()
    env = dict(os.environ, LD_PRELOAD=a["fakelib"], FAKEDEV_CTL=a["ctl"])
    with open(a["out"] + ".bridge.log", "w") as log:
        children["bridge"] = subprocess.Popen(
            ["setpriv", "--bounding-set", "-sys_time", "--", a["bridge"], "-f", "-c", a["conf"]],
            env=env, stdout=log, stderr=subprocess.STDOUT)
    note_pids()
    t_start = time.time_ns()
    # The window starts on a whole second and every fault half a second after one, halfway
    # between two PPS edges (and TOFF reports): the same phase every run, so the counts repeat.
    w0 = (t_start + int(warm * NS)) // NS * NS + NS
    w1 = w0 + int(seconds * NS)

    # Faults in turn: (kind, start, end); end is filled in when the fault is over.
    faults = []
    events = []
    seq = [0]

    def at(t, fn):
        seq[0] += 1
        heapq.heappush(events, (t, seq[0], fn))

    def gone_file(dev):
        return os.path.join(a["ctl"], dev + ".gone")

    def begin(kind):
        f = [kind, time.time_ns(), None]
        faults.append(f)
        if kind == "sink":
            unbind_all()
        elif kind == "gpsd":
            stop_child("fakegpsd")
        else:
            open(gone_file(kind), "w").close()
        at(f[1] + int(down * NS), lambda: finish(f))

    def finish(f):
        kind = f[0]
        if kind == "sink":
            bind_all()
        elif kind == "gpsd":
            start_fakegpsd()
            wait_listening(f, time.time_ns() + 5 * NS)
            return
        else:
            os.unlink(gone_file(kind))
        f[2] = time.time_ns()

    def wait_listening(f, deadline):
        if tcp_listening(port) or time.time_ns() > deadline:
            f[2] = time.time_ns()
        else:
            at(time.time_ns() + 20 * 10**6, lambda: wait_listening(f, deadline))

    kinds = ["sink", "gpsd", "pps0", "ptp0"]
    i = 0
    while w0 + int((5.5 + every * i) * NS) <= w1 - int(10 * NS):
        kind = kinds[i % len(kinds)]
        at(w0 + int((5.5 + every * i) * NS), lambda kind=kind: begin(kind))
        i += 1

    while not stop:
        now = time.time_ns()
        while events and events[0][0] <= now:
            heapq.heappop(events)[2]()
        if now >= w1 + 3 * 10**8 and not events:
            break
        timeout = 0.2
        if events:
            timeout = min(timeout, max(0.0, (events[0][0] - now) / 1e9))
        for key, _ in sel.select(timeout):
            drain(key.data)
    early_exit = children["bridge"].poll()
    stop_child("bridge")
    stop_child("fakegpsd")
    for j in range(3):
        drain(j)
        if socks[j] is not None:
            socks[j].close()
            try:
                os.unlink(paths[j])
            except OSError:
                pass
    for dev in ("pps0", "ptp0"):
        try:
            os.unlink(gone_file(dev))
        except OSError:
            pass
    note_pids()
    if stop:
        sys.exit(1)

    # Which fault windows a source's missing sample may fall in, and until when: the fault plus
    # the documented recovery after it ends.
    def grace_end(f, src):
        kind, start, end = f
        if end is None:
            end = w1
        if kind == "sink":  # SOCK outputs retry every 0.5 s
            return end + NS // 2 + NS // 10
        if kind == "gpsd":  # reconnect with backoff from 0.5 s, then min_good_fixes = 3 cycles
            if src not in ("gps", "pps"):
                return None
            return start + backoff_reached(end - start, max_ns=30 * NS) + 3 * NS + NS // 5
        # A vanished device is noticed at the next fetch or poll (within one interval) and
        # opened again with backoff from that moment.
        for dev, s, iv in (("pps0", "pps", pps_iv), ("ptp0", "phc", phc_iv)):
            if kind == dev and src == s:
                return start + max(backoff_reached(end - start),
                                   iv + backoff_reached(end - start - iv)) + NS // 10
        return None

    def covering(t, src):
        for f in faults:
            g = grace_end(f, src)
            if g is not None and f[1] <= t <= g:
                return f
        return None

    rows, lost_by, outside_detail, offsets = [], {}, [], []
    for src in names:
        expect_off = {"phc": phc_off, "pps": pps_off, "gps": 0}[src]
        inwin = sorted(d for d in samples[src] if w0 <= d[0] <= w1)
        wrong = sum(1 for d in inwin if d[1] != expect_off)
        missing, dups = [], 0
        if src == "phc":
            # Polls due on the timer's grid (its phase restarts when the device is reopened):
            # a gap of n intervals between two samples is n - 1 missed polls.
            delivered = len(inwin)
            if not inwin:
                missing = list(range(w0, w1 + 1, phc_iv))
            else:
                missing = [inwin[0][0] - j * phc_iv
                           for j in range(1, (inwin[0][0] - w0) // phc_iv + 1)]
                for (prev, _), (tv, _) in zip(inwin, inwin[1:]):
                    if tv - prev < phc_iv // 2:
                        dups += 1
                    n = int(round((tv - prev) / phc_iv)) - 1
                    missing += [prev + j * phc_iv for j in range(1, n + 1)]
                missing += [inwin[-1][0] + j * phc_iv
                            for j in range(1, (w1 - inwin[-1][0]) // phc_iv + 1)]
            expected = delivered - dups + len(missing)
            lost = len(missing)
        else:
            phase = -pps_off if src == "pps" else gps_phase
            first = (w0 - phase + NS - 1) // NS
            last = (w1 - phase) // NS
            slots = {}
            for tv, off in inwin:
                k = (tv + off - (0 if src == "pps" else gps_phase) + NS // 2) // NS
                slots[k] = slots.get(k, 0) + 1
            expected = last - first + 1
            delivered = sum(1 for k in slots if first <= k <= last)
            dups = sum(c - 1 for c in slots.values())
            # when the bridge would have sent it: the edge is fetched 0.2 ms after it is due
            # (1 ms allows for the wake-up); fakegpsd sends TOFF k at second k, stamped
            # k + gps_phase
            sent = (10**6 - pps_off) if src == "pps" else 10 * 10**6
            missing = [k * NS + sent for k in range(first, last + 1) if k not in slots]
            lost = len(missing)
        out_n = 0
        for t in missing:
            f = covering(t, src)
            if f is None:
                out_n += 1
                near = min(faults, key=lambda f: abs(t - f[1])) if faults else None
                outside_detail.append("%s sample due to leave at +%.3f s%s" % (
                    src, (t - w0) / 1e9,
                    "" if near is None else ": %+.3f s from the %s fault's start (at +%.3f s, "
                    "ended +%.3f s, grace until +%.3f s)" % (
                        (t - near[1]) / 1e9, near[0], (near[1] - w0) / 1e9,
                        ((near[2] or w1) - w0) / 1e9,
                        ((grace_end(near, src) or near[2] or w1) - w0) / 1e9)))
            else:
                key = f[0]
                lost_by.setdefault(key, {}).setdefault(src, 0)
                lost_by[key][src] += 1
        rows.append((src, expected, delivered, lost - out_n, out_n, wrong, dups, bad[src]))
        offsets.append("%s %d/%d exactly %d ns" % (src, len(inwin) - wrong, len(inwin), expect_off))

    label = {"phc": "phc /dev/ptp0, every %g s" % (phc_iv / 1e9),
             "pps": "pps /dev/pps0, lock = gps",
             "gps": "gps (fakegpsd TOFF, 1 Hz)"}
    kind_label = {"sink": "sink sockets gone", "gpsd": "fakegpsd killed",
                  "pps0": "/dev/pps0 gone", "ptp0": "/dev/ptp0 gone"}
    lines = ["%-28s %8s %9s %12s %12s %12s %5s %9s" % (
        "source", "expected", "delivered", "lost: faults", "lost: outside", "wrong offset", "dups",
        "malformed")]
    for r in rows:
        lines.append("%-28s %8d %9d %12d %12d %12d %5d %9d" % ((label[r[0]],) + r[1:]))
    counts = {}
    for f in faults:
        counts[f[0]] = counts.get(f[0], 0) + 1
    lines.append("faults, %g s each, one every %g s in turn: %s" % (down, every, ", ".join(
        "%s x%d" % (kind_label[k], counts[k]) for k in kinds if k in counts)))
    lines.append("lost in each kind of fault window: " + "; ".join(
        "%s: %s" % (kind_label[k], ", ".join("%s %d" % kv for kv in sorted(lost_by[k].items())))
        for k in kinds if k in lost_by))
    total_out = sum(r[4] for r in rows)
    lines.append("lost outside fault windows: %s" % (
        "none" if not outside_detail else "; ".join(outside_detail[:4])
        + (" (+%d more, see part5-detail.txt)" % (len(outside_detail) - 4)
           if len(outside_detail) > 4 else "")))
    lines.append("offsets of delivered samples: " + "; ".join(offsets))
    if early_exit is not None:
        lines.append("the bridge exited during the run (status %d): see part5-bridge.log" % early_exit)
    lines.append("goal (0 lost outside fault windows): %s" % ("met" if total_out == 0 else "NOT met"))
    with open(a["out"], "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(a["out"] + ".detail", "w") as f:
        f.write("window: %d .. %d ns (CLOCK_REALTIME), faults (kind start end grace_end_by_source):\n"
                % (w0, w1))
        for flt in faults:
            f.write("  %s +%.3f +%.3f %s\n" % (flt[0], (flt[1] - w0) / 1e9, ((flt[2] or w1) - w0) / 1e9,
                                               " ".join("%s:+%.3f" % (s, (grace_end(flt, s) - w0) / 1e9)
                                                        for s in names if grace_end(flt, s))))
        f.write("lost outside fault windows:\n" + "".join("  %s\n" % d for d in outside_detail))


# ---- PTP sync-state detection (part 6) -------------------------------------------------------

PTP4L_STAMP = re.compile(r"^ptp4l\[(\d+)\.(\d{3})\]: (.*)$")
BRIDGE_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z (\w+): (.*)$")


def mono_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def realtime_minus_mono():
    """CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from the narrowest of a few bracketed reads."""
    best = None
    for _ in range(7):
        a = mono_ns()
        r = time.clock_gettime_ns(time.CLOCK_REALTIME)
        b = mono_ns()
        if best is None or b - a < best[0]:
            best = (b - a, r - (a + b) // 2)
    return best[1]


class StampedOutput:
    """A child whose stdout and stderr come through a pipe, each line stamped (CLOCK_MONOTONIC)
    when read. Lines are kept in memory and copied to LOG."""

    def __init__(self, cmd, env, log, preexec=None):
        self.log = open(log, "a")
        self.p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, preexec_fn=preexec)
        self.fd = self.p.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.buf = b""
        self.lines = []  # (rx_mono_ns, text)

    def read(self, now):
        """Reads what is there; True if anything was."""
        got = False
        while self.fd is not None:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return got
            if not data:
                self.fd = None
                return got
            got = True
            self.buf += data
            *whole, self.buf = self.buf.split(b"\n")
            for line in whole:
                text = line.decode("utf-8", "replace")
                self.lines.append((now, text))
                self.log.write("%d %s\n" % (now, text))
            self.log.flush()
        return got

    def find(self, since, pattern, before=None):
        """All (index, rx, match) of lines from index SINCE that match PATTERN."""
        out = []
        for i in range(since, len(self.lines)):
            rx, text = self.lines[i]
            if before is not None and rx > before:
                break
            m = re.search(pattern, text)
            if m:
                out.append((i, rx, m))
        return out


def ptp4l_stamp_ns(text):
    """ptp4l -m prints ptp4l[SEC.MSC] with CLOCK_MONOTONIC, truncated to the millisecond."""
    m = PTP4L_STAMP.match(text)
    return int(m.group(1)) * NS + int(m.group(2)) * 10**6 if m else None


def bridge_stamp_ns(text):
    """The bridge's stderr stamp: CLOCK_REALTIME (UTC), truncated to the millisecond."""
    m = BRIDGE_STAMP.match(text)
    if not m:
        return None
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) * NS + int(m.group(2)) * 10**6


def cmd_ptptrials(argv):
    """ptptrials KEY=VALUE...
    mode       fast (logAnnounceInterval -2, logSyncInterval -2, announceReceiptTimeout 3)
               or slow (linuxptp's defaults: 1, 0, 3)
    trials     master kill / restart cycles
    dir        configurations, sockets and logs
    ns_m ns_s if_m if_s   the network namespaces and the veth ends in them (made by run.sh)
    bridge, fakelib       the bridge and the fake (/dev/ptp0 only); unit: SHM unit of the PHC
               source's output; stale_syncs: of the tracker
    out        results (KEY n p50 p99 max, in ms); OUT.detail: one line per trial
    pids       file that gets the PIDs this command has running (for the caller's cleanup)
    """
    a = dict(x.split("=", 1) for x in argv)
    fast = a["mode"] == "fast"
    trials = int(a["trials"])
    d = a["dir"]
    unit = int(a["unit"])
    notime = ["setpriv", "--bounding-set", "-sys_time", "--"]
    stop = []
    on_term(stop)
    rng = random.Random(1)
    sync_s = 0.25 if fast else 1.0
    children = {}
    # The runner polls, and spins for 2 ms after any output: as SCHED_IDLE it runs only on a
    # CPU that nobody else wants, so it can never delay ptp4l or the bridge (as a normal task
    # its spin once held ptp4l's push back by 2 ms on 2 CPUs). Its children run as normal.
    preexec = None
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        preexec = lambda: os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))  # noqa: E731
    except (AttributeError, OSError):
        pass

    def note_pids():
        with open(a["pids"], "w") as f:
            f.write("".join("%d\n" % p.pid for p in children.values() if p.poll() is None))

    def conf(side):
        lines = ["[global]", "free_running 1", "kernel_leap 0", "time_stamping software",
                 "uds_address %s/ptp4l-%s" % (d, side)]
        if fast:
            lines += ["logAnnounceInterval -2", "logSyncInterval -2", "logMinDelayReqInterval -2",
                      "announceReceiptTimeout 3"]
        lines += ["priority1 100"] if side == "m" else ["slaveOnly 1"]
        if side == "s" and not fast:
            # a "master offset" line for every Sync (free_running prints one per frequency
            # estimate, every 2^freq_est_interval s by default): the slave's log then shows
            # the last Sync the master sent
            lines.append("freq_est_interval 0")
        lines.append("[%s]" % a["if_" + side])
        path = os.path.join(d, "ptp4l-%s.cfg" % side)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def ptp4l_cmd(side):
        return ["ip", "netns", "exec", a["ns_" + side]] + notime + ["ptp4l", "-f", conf(side), "-m"]

    def start_master():
        with open(os.path.join(d, "ptp4l-m.log"), "a") as log:
            children["m"] = subprocess.Popen(ptp4l_cmd("m"), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, preexec_fn=preexec)
        note_pids()

    with open(os.path.join(d, "bridge.conf"), "w") as f:
        f.write("""[bridge]
log_level = info
status_socket = {d}/status.sock
metrics_dir = {d}
[tracker ptp]
type = ptp4l
socket = {d}/ptp4l-s
client_address = {d}/bridge-ptp.sock
max_offset = 100000
holdover = 600
poll_interval = 0.25
stale_syncs = {stale}
[source phc0]
type = phc
device = /dev/ptp0
interval = 0.25
tracker = ptp
tai_offset = 37
outputs = shm
[output shm]
type = shm
unit = {unit}
""".format(d=d, stale=a["stale_syncs"], unit=unit))

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmdt.argtypes = [ctypes.c_void_p]
    shm = [None, None]  # address, ShmTime
    leap = [None]
    leap_events = []  # (mono_ns, leap)

    def poll_shm():
        if shm[1] is None:
            shmid = libc.shmget(0x4E545030 + unit, ctypes.sizeof(ShmTime), 0)
            if shmid < 0:
                return
            addr = libc.shmat(shmid, None, 0o10000)  # SHM_RDONLY
            if addr in (None, ctypes.c_void_p(-1).value):
                return
            shm[0], shm[1] = addr, ShmTime.from_address(addr)
        v = shm[1].leap
        if v != leap[0]:
            leap_events.append((mono_ns(), v))
            leap[0] = v

    streams = []

    def pump(cond, timeout, period):
        """Reads every output and the SHM segment's leap field (every PERIOD s at most) until
        COND() or TIMEOUT s; returns COND()."""
        deadline = mono_ns() + int(timeout * NS)
        hot_until = 0
        while not stop:
            fds = [s.fd for s in streams if s.fd is not None]
            # for 2 ms after any output, spin: the gate closes a few microseconds after
            # the bridge's log line, and a 0.1 ms sleep would hide that
            wait = 0 if mono_ns() < hot_until else period
            if fds:
                select.select(fds, [], [], wait)
            else:
                time.sleep(wait)
            # every stream, not only the ready ones: a line that arrived after select()
            # returned must not be stamped later than the SHM change that followed it
            for s in streams:
                if s.fd is not None and s.read(mono_ns()):
                    hot_until = mono_ns() + 2 * 10**6
            poll_shm()
            now = mono_ns()
            if cond():
                return True
            if now > deadline:
                return False
            if children["bridge"].poll() is not None or children["s"].poll() is not None:
                return cond()
        return False

    def finish(note):
        for name in ("bridge", "m", "s"):
            p = children.get(name)
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        note_pids()
        for s in streams:
            s.read(mono_ns())
        if shm[0]:
            libc.shmdt(ctypes.c_void_p(shm[0]))
        return note

    env = dict(os.environ, LD_PRELOAD=a["fakelib"], FAKEDEV_PTP="/dev/ptp0",
               FAKEDEV_PTP0="offset_ns=37000123456")
    results = []  # dicts, one per trial
    note = ""
    try:
        start_master()
        slave = StampedOutput(ptp4l_cmd("s"), None, os.path.join(d, "ptp4l-s.log"), preexec)
        children["s"] = slave.p
        streams.append(slave)
        note_pids()
        # a free-running slave stays UNCALIBRATED until told its sync is certain (it keeps
        # the setting across master losses)
        ok = False
        t_end = time.monotonic() + 10
        while not ok and time.monotonic() < t_end and not stop:
            if os.path.exists(os.path.join(d, "ptp4l-s")):
                r = subprocess.run(["ip", "netns", "exec", a["ns_s"], "pmc", "-u", "-b", "0", "-s",
                                    os.path.join(d, "ptp4l-s"), "-i", os.path.join(d, "pmc.s"),
                                    "SET SYNCHRONIZATION_UNCERTAIN_NP 0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=5,
                                   stdin=subprocess.DEVNULL, preexec_fn=preexec)
                ok = re.search(rb"uncertain\s+0", r.stdout) is not None
            if not ok:
                time.sleep(0.2)
        if not ok:
            raise RuntimeError("could not set SYNCHRONIZATION_UNCERTAIN_NP on the slave ptp4l")
        bridge = StampedOutput(notime + [a["bridge"], "-f", "-c", os.path.join(d, "bridge.conf")],
                               env, os.path.join(d, "bridge.log"), preexec)
        children["bridge"] = bridge.p
        streams.append(bridge)
        note_pids()

        lock_wait = 20 if fast else 45
        for trial in range(trials):
            mark_b, mark_s = len(bridge.lines), len(slave.lines)
            # locked, and the gate open: a valid sample in the segment
            if not pump(lambda: bridge.find(mark_b, r"tracker ptp: \w+ -> LOCKED")
                        and leap[0] not in (None, 3), lock_wait, 0.01):
                raise RuntimeError("trial %d: the tracker did not reach LOCKED with the gate open "
                                   "within %d s" % (trial + 1, lock_wait))
            # a random phase against the Sync grid before the kill
            pump(lambda: False, rng.uniform(0.3, 0.3 + sync_s), 0.01)
            off = realtime_minus_mono()
            mark_b, mark_s2 = len(bridge.lines), len(slave.lines)
            mark_leap = len(leap_events)
            t_kill = mono_ns()
            children["m"].kill()
            children["m"].wait()
            note_pids()
            period = 0.0001 if fast else 0.001

            def holdover():
                return bridge.find(mark_b, r"tracker ptp: LOCKED -> HOLDOVER: (.*)$")

            def listening():
                return slave.find(mark_s2, r"port 1: SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES")

            def closed():
                return [e for e in leap_events[mark_leap:] if e[1] == 3]

            if fast:
                pump(lambda: holdover() and closed() and listening(), 15, period)
            else:
                # restart the master as soon as the bridge has seen the loss, but not before
                # kill + 2.5 s: a restarted master (same clock identity) must not announce
                # before the slave's own timeout (last announce + 6..8 s) has fired; it
                # listens 6..8 s itself first
                pump(lambda: holdover() and closed(), 15, period)
                pump(lambda: False, max(0.0, 2.5 - (mono_ns() - t_kill) / 1e9), period)
                start_master()
                pump(lambda: listening(), 15, 0.01)
            h, c, li = holdover(), closed(), listening()
            r = {"trial": trial + 1, "kill": t_kill}
            if h:
                _, r["hold_rx"], m = h[0]
                r["reason"] = m.group(1)
                r["hold_log"] = bridge_stamp_ns(bridge.lines[h[0][0]][1]) - off
            if c:
                r["closed"] = c[0][0]
            g = bridge.find(mark_b, r"source phc0: gate closed")
            if g:
                r["gate_rx"] = g[0][1]
            if li:
                _, r["listen_rx"], _ = li[0]
                r["listen_log"] = ptp4l_stamp_ns(slave.lines[li[0][0]][1])
            if not fast:
                syncs = slave.find(mark_s, r"master offset", before=r.get("hold_rx", mono_ns()))
                if syncs:
                    r["sync_rx"] = syncs[-1][1]
                    r["sync_log"] = ptp4l_stamp_ns(slave.lines[syncs[-1][0]][1])
            results.append(r)
            if fast:
                start_master()
            if stop:
                break
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        note = str(e)
    finish(note)

    def ms(x):
        return x / 1e6

    rows = {}

    def add(key, value):
        rows.setdefault(key, []).append(value)

    push = stale = other = 0
    for r in results:
        reason = r.get("reason", "")
        if reason.startswith("no port in SLAVE"):
            push += 1
        elif reason.startswith("sync data is stale"):
            stale += 1
        elif reason:
            other += 1
        if "hold_rx" in r and "closed" in r:
            add("b", ms(r["closed"] - r["hold_rx"]))
            add("kill_closed", ms(r["closed"] - r["kill"]))
        if "hold_rx" in r:
            add("kill_hold", ms(r["hold_rx"] - r["kill"]))
        if "gate_rx" in r and "hold_rx" in r:
            add("gate_log", ms(r["gate_rx"] - r["hold_rx"]))
        if "listen_rx" in r:
            add("kill_listen", ms(r["listen_rx"] - r["kill"]))
            if "hold_rx" in r:
                add("a_rx", ms(r["hold_rx"] - r["listen_rx"]))
                add("a_log", ms(r["hold_log"] - r["listen_log"]))
            if "closed" in r:
                add("e2e", ms(r["closed"] - r["listen_rx"]))
        if "sync_rx" in r:
            add("sync_kill", ms(r["kill"] - r["sync_rx"]))
            for key, field in (("sync_hold", "hold_rx"), ("sync_closed", "closed"),
                               ("sync_listen", "listen_rx")):
                if field in r:
                    add(key, ms(r[field] - r["sync_rx"]))
    with open(a["out"] + ".tmp", "w") as f:
        f.write("trials %d %d push %d stale %d other %d\n" % (trials, len(results), push, stale, other))
        for key, v in sorted(rows.items()):
            v.sort()
            f.write("%s %d %.3f %.3f %.3f\n" % (key, len(v), percentile(v, 50), percentile(v, 99), v[-1]))
        if note:
            f.write("note %s\n" % note)
    os.rename(a["out"] + ".tmp", a["out"])
    with open(a["out"] + ".detail", "w") as f:
        base = results[0]["kill"] if results else 0
        f.write("# mode %s; times in ms from each trial's master kill (the kill: s since the first)\n"
                % a["mode"])
        f.write("# trial kill_s last_sync listen(ptp4l) holdover(bridge) gate_log shm_leap3 reason\n")
        for r in results:
            def rel(k):
                return "%.3f" % ms(r[k] - r["kill"]) if k in r else "-"
            f.write("%d %.3f %s %s %s %s %s %s\n" % (r["trial"], (r["kill"] - base) / 1e9, rel("sync_rx"),
                                                     rel("listen_rx"), rel("hold_rx"), rel("gate_rx"),
                                                     rel("closed"), r.get("reason", "-")))
    if stop:
        sys.exit(1)


def main():
    cmds = {"sink": cmd_sink, "cgparse": cmd_cgparse, "cgdiff": cmd_cgdiff, "shmread": cmd_shmread,
            "proc": cmd_proc, "rssmap": cmd_rssmap, "rec": cmd_rec, "nmeafeed": cmd_nmeafeed,
            "gpswatch": cmd_gpswatch, "ppslat": cmd_ppslat, "faultrun": cmd_faultrun,
            "ptptrials": cmd_ptptrials}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
