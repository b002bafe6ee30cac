#!/usr/bin/python3
"""Part 11 of `make bench` (bench/fallback.sh): wait until a chronyd selects a source.

fallback_watch.py SOCKET NAME TIMEOUT [--reach] [CHRONYC_ARG...]
    Asks chronyd for `sources` every 50 ms (start to start) until the source NAME (a refclock's
    refid or a server's address) is the selected one ('*'), or with --reach until NAME's
    reachability register is full (377: its last 8 polls answered). Prints "<us> <polls>":
    CLOCK_REALTIME in microseconds when that answer arrived, and how many polls it took; or
    "timeout <polls>". The time is an upper bound: the selection happened after the previous
    poll was answered, at most one period earlier.

One chronyc runs for the whole wait (`chronyc -c -h SOCKET`, commands on its standard input):
a poll costs a datagram to chronyd and back, about 0.5 ms, where starting a chronyc for each
would cost 30 ms of CPU. Each poll sends `sources` and then `tracking`, whose one CSV line
(it starts with the reference ID in hex, where a source line starts with its mode) ends the
answer.
"""
import os
import select
import subprocess
import sys
import time

PERIOD = 0.05
ANSWER_TIMEOUT = 5.0


class Chronyc:
    def __init__(self, argv):
        self.argv = argv
        self.proc = None
        self.buf = b""

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.buf = b""

    def stop(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def sources(self):
        """The source lines of one `sources` answer, split into fields; None if none came."""
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        try:
            self.proc.stdin.write(b"sources\ntracking\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self.stop()
            return None
        rows = []
        end = time.monotonic() + ANSWER_TIMEOUT
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                f = line.decode(errors="replace").split(",")
                if f[0] in ("^", "=", "#"):
                    rows.append(f)
                elif len(f) >= 14:
                    return rows
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.stop()
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                self.stop()
                return None
            self.buf += chunk


def main():
    sock, name, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    rest = sys.argv[4:]
    reach = bool(rest) and rest[0] == "--reach"
    if reach:
        rest = rest[1:]
    chronyc = Chronyc(["chronyc"] + rest + ["-c", "-h", sock])
    end = time.monotonic() + timeout
    due = time.monotonic()
    polls = 0
    try:
        while time.monotonic() < end:
            rows = chronyc.sources() or []
            now_us = time.time_ns() // 1000
            polls += 1
            for f in rows:
                # mode, state, name, stratum, poll, reach (octal), ...
                if len(f) > 5 and f[2] == name and (f[5] == "377" if reach else f[1] == "*"):
                    print(now_us, polls)
                    return 0
            due += PERIOD
            time.sleep(max(0.0, due - time.monotonic()))
    finally:
        chronyc.stop()
    print("timeout", polls)
    return 1


if __name__ == "__main__":
    sys.exit(main())
