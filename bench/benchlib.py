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
"""
import ctypes
import ctypes.util
import os
import selectors
import signal
import socket
import struct
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


def main():
    cmds = {"sink": cmd_sink, "cgparse": cmd_cgparse, "cgdiff": cmd_cgdiff, "shmread": cmd_shmread,
            "proc": cmd_proc, "rssmap": cmd_rssmap}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
