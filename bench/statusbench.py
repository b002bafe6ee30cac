#!/usr/bin/env python3
"""Helpers of bench/status.sh: status socket queries and command round trips, timed.

  query PATH N          N queries one after the other (connect, read to EOF); prints
                        "n p50_us p99_us max_us bytes"
  poll PATH SECONDS     one query every SECONDS until SIGTERM (load during a callgrind run);
                        prints the number of queries at exit
  run N CMD...          runs CMD N times; prints "n p50_us p99_us max_us rc_of_last"
"""
import signal
import socket
import subprocess
import sys
import time


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def one_query(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    n = 0
    while True:
        b = s.recv(65536)
        if not b:
            break
        n += len(b)
    s.close()
    return n


def summary(times_ns, extra):
    us = [t / 1000.0 for t in times_ns]
    print("%d %.0f %.0f %.0f %s" % (len(us), percentile(us, 50), percentile(us, 99), max(us), extra))


def cmd_query(argv):
    path, n = argv[0], int(argv[1])
    times, size = [], 0
    for _ in range(n):
        t0 = time.monotonic_ns()
        size = one_query(path)
        times.append(time.monotonic_ns() - t0)
    summary(times, size)


def cmd_poll(argv):
    path, every = argv[0], float(argv[1])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    count = 0
    while not stop:
        try:
            one_query(path)
            count += 1
        except OSError:
            pass
        time.sleep(every)
    print(count)


def cmd_run(argv):
    n, cmd = int(argv[0]), argv[1:]
    times, rc = [], 0
    for _ in range(n):
        t0 = time.monotonic_ns()
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        times.append(time.monotonic_ns() - t0)
    summary(times, rc)


if __name__ == "__main__":
    {"query": cmd_query, "poll": cmd_poll, "run": cmd_run}[sys.argv[1]](sys.argv[2:])
