#!/usr/bin/python3
"""Rebase the times and dates of an NMEA 0183 capture, and check captures.

  rebase_nmea.py IN OUT --start EPOCH|now|now+N
      Rewrite the time and date fields of RMC, GGA, GLL, ZDA, GNS, GST, GBS
      and GRS sentences so that the first timestamp in IN becomes the UTC
      second EPOCH; every later timestamp keeps its offset from the first.
      Checksums of rewritten sentences are recomputed. Every other line
      (comments, other sentences, garbage) is copied byte for byte, with
      its original line ending. IN or OUT may be "-" (stdin / stdout).
      "now+N" means the next whole second after now, plus N seconds.

  rebase_nmea.py --check FILE [--strict]
      Count the lines of FILE: valid $-sentences (checksum present and
      right), invalid $-sentences (missing or wrong checksum, bad
      characters), non-NMEA lines (anything else, empty lines included),
      and '#' comments. With --strict, exit 1 unless every line is a valid
      sentence or a comment.

  rebase_nmea.py --sentences-per-cycle FILE
      Print the average number of sentences gpsfake will send per 1 s cycle
      (lines starting with '$', divided by the number of distinct
      timestamps).
  rebase_nmea.py --pace FILE [--rate CYCLES_PER_S]
      Print the gpsfake -c value (seconds per sentence) for that rate
      (default 1 cycle per second).

Leap seconds: an input second of 60 (23:59:60) is accepted. It is counted
as a real elapsed second: it and everything after it stay 1 s apart in the
output, but the output never contains a second of 60 (a leap second can't
be moved to an arbitrary rebased time), so the rebased stream shows an
ordinary second where the input had 23:59:60.

Exit codes: 0 success, 1 --check --strict found bad lines, 2 usage or I/O
error, 3 no timestamp found in IN.

Stdlib only; runs under /usr/bin/python3 (3.7+).
"""

import argparse
import calendar
import math
import re
import sys
import time

# sentence type -> (index of time field, date spec); fields are counted
# after splitting the body ("GPRMC,...") on ',' so field 0 is the address.
#   date spec: None, ("ddmmyy", i) or ("zda", i_day, i_month, i_year)
TIME_FIELDS = {
    "RMC": (1, ("ddmmyy", 9)),
    "GGA": (1, None),
    "GLL": (5, None),
    "ZDA": (1, ("zda", 2, 3, 4)),
    "GNS": (1, None),
    "GST": (1, None),
    "GBS": (1, None),
    "GRS": (1, None),
}

SENTENCE_RE = re.compile(
    rb"^\$([A-Z0-9]{2,6}),([\x20-\x23\x25-\x29\x2b-\x7e]*)\*([0-9A-Fa-f]{2})$")
LINE_RE = re.compile(rb"(\r\n|\n|\r)")
TIME_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})(\.\d+)?$")
DAY = 86400


def checksum(body):
    """XOR of the bytes between '$' and '*'."""
    c = 0
    for b in body:
        c ^= b
    return c


def split_lines(data):
    """Return [(content, ending)], ending in (b"\\r\\n", b"\\n", b"\\r", b"")."""
    parts = LINE_RE.split(data)
    out = []
    for i in range(0, len(parts) - 1, 2):
        out.append((parts[i], parts[i + 1]))
    if parts[-1]:
        out.append((parts[-1], b""))
    return out


def parse_sentence(content):
    """Return (address, fields, checksum_ok) or None if not $..*hh."""
    m = SENTENCE_RE.match(content)
    if not m:
        return None
    body = content[1:content.rindex(b"*")]
    ok = checksum(body) == int(m.group(3), 16)
    return body, ok


def sentence_type(address):
    """'GPRMC' -> 'RMC'; proprietary ('P...') -> None."""
    if address.startswith("P") or len(address) != 5:
        return None
    return address[2:]


def parse_time(s):
    m = TIME_RE.match(s)
    if not m:
        return None
    hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if hh > 23 or mm > 59 or ss > 60:
        return None
    return hh, mm, ss, m.group(4) or ""


def parse_date(spec, f):
    """Return the day number (days since 1970-01-01) or None."""
    try:
        if spec[0] == "ddmmyy":
            d = f[spec[1]]
            if not re.match(r"^\d{6}$", d):
                return None
            day, mon, yy = int(d[0:2]), int(d[2:4]), int(d[4:6])
            year = 2000 + yy if yy < 80 else 1900 + yy
        else:
            day, mon, year = int(f[spec[1]]), int(f[spec[2]]), int(f[spec[3]])
    except (IndexError, ValueError):
        return None
    try:
        return calendar.timegm((year, mon, day, 0, 0, 0)) // DAY \
            if 1 <= mon <= 12 and 1 <= day <= calendar.monthrange(year, mon)[1] \
            else None
    except (ValueError, OverflowError):
        return None


class Stamp:
    """One time-bearing sentence found in the input."""

    def __init__(self, idx, body, ok):
        self.idx = idx
        self.fields = body.decode("ascii").split(",")
        self.type = sentence_type(self.fields[0])
        tf, self.dspec = TIME_FIELDS[self.type]
        self.tf = tf
        self.time = parse_time(self.fields[tf]) if len(self.fields) > tf else None
        self.day = parse_date(self.dspec, self.fields) if (self.dspec and self.time) else None
        self.abs = None


def collect(lines):
    """Find the time-bearing valid sentences and give each an absolute,
    leap-counting time in seconds."""
    stamps = []
    for i, (content, _end) in enumerate(lines):
        p = parse_sentence(content)
        if not p or not p[1]:
            continue
        body = p[0]
        try:
            addr = body.split(b",", 1)[0].decode("ascii")
        except UnicodeDecodeError:
            continue
        t = sentence_type(addr)
        if t not in TIME_FIELDS:
            continue
        st = Stamp(i, body, True)
        if st.time is not None:
            stamps.append(st)
    if not stamps:
        return stamps

    # Starting day: the first dated sentence, moved back one day if
    # an earlier undated time is more than 12 h later in the day than it.
    first_dated = next((s for s in stamps if s.day is not None), None)
    cur_day = first_dated.day if first_dated else 0
    last_tod = None
    if first_dated is not None:
        if stamps[0] is not first_dated and \
                tod_of(stamps[0]) > tod_of(first_dated) + DAY // 2:
            cur_day -= 1

    leaps = 0          # leap seconds already passed
    pending_leap = None  # POSIX time of the second after a seen :60
    for s in stamps:
        tod = tod_of(s)
        if s.day is not None:
            day = s.day
        else:
            day = cur_day
            if last_tod is not None:
                if tod < last_tod - DAY // 2:
                    day += 1
                elif tod > last_tod + DAY // 2:
                    day -= 1
        cur_day, last_tod = day, tod
        hh, mm, ss, _frac = s.time
        if ss == 60:
            posix = day * DAY + hh * 3600 + mm * 60 + 59
            pending_leap = posix + 1
            s.abs = posix + 1 + leaps
        else:
            posix = day * DAY + tod
            if pending_leap is not None and posix >= pending_leap:
                leaps += 1
                pending_leap = None
            s.abs = posix + leaps
    return stamps


def tod_of(s):
    hh, mm, ss, _ = s.time
    return hh * 3600 + mm * 60 + min(ss, 59)


def rewrite(stamp, new_abs):
    f = list(stamp.fields)
    hh, mm, ss, frac = stamp.time
    tm = time.gmtime(new_abs)
    f[stamp.tf] = "%02d%02d%02d%s" % (tm.tm_hour, tm.tm_min, tm.tm_sec, frac)
    spec = stamp.dspec
    if spec and stamp.day is not None:
        if spec[0] == "ddmmyy":
            f[spec[1]] = "%02d%02d%02d" % (tm.tm_mday, tm.tm_mon, tm.tm_year % 100)
        else:
            f[spec[1]] = "%02d" % tm.tm_mday
            f[spec[2]] = "%02d" % tm.tm_mon
            f[spec[3]] = "%04d" % tm.tm_year
    body = ",".join(f).encode("ascii")
    return b"$" + body + b"*" + ("%02X" % checksum(body)).encode("ascii")


def parse_start(s):
    s = s.strip()
    if s == "now" or s.startswith("now+"):
        n = int(s[4:]) if s.startswith("now+") else 0
        return int(math.floor(time.time())) + 1 + n
    return int(s)


def read_input(path):
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def do_rebase(inp, outp, start):
    data = read_input(inp)
    lines = split_lines(data)
    stamps = collect(lines)
    if not stamps:
        sys.stderr.write("rebase_nmea: no timestamp found in %s\n" % inp)
        return 3
    shift = start - stamps[0].abs
    by_idx = {s.idx: s for s in stamps}
    out = []
    for i, (content, end) in enumerate(lines):
        s = by_idx.get(i)
        if s is not None:
            content = rewrite(s, s.abs + shift)
        out.append(content + end)
    blob = b"".join(out)
    if outp == "-":
        sys.stdout.buffer.write(blob)
        sys.stdout.buffer.flush()
    else:
        with open(outp, "wb") as f:
            f.write(blob)
    return 0


def classify(lines):
    counts = {"lines": 0, "valid": 0, "invalid": 0, "non_nmea": 0,
              "empty": 0, "comments": 0}
    for content, end in lines:
        counts["lines"] += 1
        if content.startswith(b"#"):
            counts["comments"] += 1
        elif content.startswith(b"$"):
            p = parse_sentence(content)
            if p and p[1]:
                counts["valid"] += 1
            else:
                counts["invalid"] += 1
        else:
            counts["non_nmea"] += 1
            if not content:
                counts["empty"] += 1
    return counts


def do_check(path, strict):
    c = classify(split_lines(read_input(path)))
    print("%s: valid=%d invalid=%d non_nmea=%d empty=%d comments=%d lines=%d"
          % (path, c["valid"], c["invalid"], c["non_nmea"], c["empty"],
             c["comments"], c["lines"]))
    if strict and (c["invalid"] or c["non_nmea"]):
        return 1
    return 0


def sentences_per_cycle(path):
    lines = split_lines(read_input(path))
    stamps = collect(lines)
    cycles = len({s.abs for s in stamps})
    nsent = sum(1 for content, _ in lines if content.startswith(b"$"))
    if cycles == 0:
        return None
    return nsent / cycles


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Rebase NMEA capture times; check captures.",
        epilog="See the module docstring (head of this file) for details.")
    ap.add_argument("files", nargs="*", metavar="IN OUT")
    ap.add_argument("--start", help="EPOCH seconds, 'now' or 'now+N'")
    ap.add_argument("--check", metavar="FILE")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--sentences-per-cycle", metavar="FILE", dest="spc")
    ap.add_argument("--pace", metavar="FILE")
    ap.add_argument("--rate", type=float, default=1.0,
                    help="cycles per second for --pace (default 1)")
    a = ap.parse_args(argv)
    try:
        if a.check:
            return do_check(a.check, a.strict)
        if a.spc or a.pace:
            v = sentences_per_cycle(a.spc or a.pace)
            if v is None:
                sys.stderr.write("rebase_nmea: no timestamp found\n")
                return 3
            if a.spc:
                print("%.2f" % v)
            else:
                if a.rate <= 0:
                    ap.error("--rate must be > 0")
                print("%.4f" % (1.0 / (v * a.rate)))
            return 0
        if len(a.files) != 2 or a.start is None:
            ap.error("usage: rebase_nmea.py IN OUT --start EPOCH|now+N")
        try:
            start = parse_start(a.start)
        except ValueError:
            ap.error("bad --start %r: want EPOCH seconds, 'now' or 'now+N'"
                     % a.start)
        return do_rebase(a.files[0], a.files[1], start)
    except OSError as e:
        sys.stderr.write("rebase_nmea: %s\n" % e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
