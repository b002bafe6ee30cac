/*
 * fakedev_selftest.c - checks libfakedev.so through the real libc calls.
 *
 * Usage: fakedev_selftest /path/to/libfakedev.so
 * It makes a private control dir, sets LD_PRELOAD and the FAKEDEV_* variables,
 * re-runs itself in a child (marked by FAKEDEV_SELFTEST_CHILD), cleans up and
 * exits with the child's status: 0 when every check passed.  One line per check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>
#include <sys/timepps.h> /* pps-tools: the RFC 2783 API the daemon and chronyd use */

#define OFFSET 37000123456LL
#define PPS0_OFFSET 123456LL
#define SEC 1000000000LL
#define PPS_DEFAULT_CAPS (PPS_CAPTUREBOTH | PPS_OFFSETASSERT | PPS_OFFSETCLEAR | \
                          PPS_CANWAIT | PPS_TSFMT_TSPEC)
#define FD_TO_CLOCKID(fd) ((clockid_t)((~(unsigned int)(fd) << 3) | 3))

static const char *ctl;
static int failures, checks;

__attribute__((format(printf, 2, 3))) static void check(int ok, const char *fmt, ...)
{
  va_list ap;

  checks++;
  if (!ok)
    failures++;
  printf("%s - ", ok ? "ok" : "FAIL");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  if (!ok && errno)
    printf(" (errno: %s)", strerror(errno));
  printf("\n");
  fflush(stdout);
}

static int64_t ns(const struct ptp_clock_time *t)
{
  return t->sec * 1000000000LL + t->nsec;
}

static int64_t ts_ns(const struct timespec *t)
{
  return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void ctl_file(const char *name, const char *content)
{
  char path[PATH_MAX], tmp[PATH_MAX];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", ctl, name);
  if (!content) {
    unlink(path);
    return;
  }
  /* write + rename: the library sees a complete file, new inode */
  snprintf(tmp, sizeof(tmp), "%s/.tmp", ctl);
  f = fopen(tmp, "w");
  if (!f || fputs(content, f) < 0 || fclose(f) || rename(tmp, path)) {
    perror(path);
    exit(2);
  }
}

/* n EXTENDED samples; returns 0 and fills x, or -1 with errno */
static int ext(int fd, unsigned n, struct ptp_sys_offset_extended *x)
{
  memset(x, 0, sizeof(*x));
  x->n_samples = n;
  return ioctl(fd, PTP_SYS_OFFSET_EXTENDED, x);
}

/* every sample midpoint-exact at offset off, width w (or 21*w if slow) */
static int ext_exact(const struct ptp_sys_offset_extended *x, int64_t off,
         int64_t w, int *nslow)
{
  unsigned i;

  *nslow = 0;
  for (i = 0; i < x->n_samples; i++) {
    int64_t b = ns(&x->ts[i][0]), a = ns(&x->ts[i][2]);

    if (a - b == 21 * w)
      (*nslow)++;
    else if (a - b != w)
      return 0;
    if (ns(&x->ts[i][1]) - (b + (a - b) / 2) != off)
      return 0;
    if (i && b < ns(&x->ts[i - 1][2]))
      return 0;
  }
  return 1;
}

static int basic_exact(const struct ptp_sys_offset *x, int64_t off, int64_t w)
{
  unsigned i;

  for (i = 0; i < x->n_samples; i++) {
    int64_t b = ns(&x->ts[2 * i]), a = ns(&x->ts[2 * i + 2]);

    if (a - b != w || ns(&x->ts[2 * i + 1]) - (b + w / 2) != off)
      return 0;
  }
  return 1;
}

static int ethtool_index(int sock, const char *ifname)
{
  struct ethtool_ts_info info;
  struct ifreq ifr;

  memset(&info, 0, sizeof(info));
  memset(&ifr, 0, sizeof(ifr));
  info.cmd = ETHTOOL_GET_TS_INFO;
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
  ifr.ifr_data = (void *)&info;
  if (ioctl(sock, SIOCETHTOOL, &ifr))
    return -2;
  if (!(info.so_timestamping & SOF_TIMESTAMPING_RAW_HARDWARE))
    return -3;
  return info.phc_index;
}

static void run_checks(void)
{
  struct ptp_sys_offset_extended x, x2;
  struct ptp_sys_offset b;
  struct ptp_sys_offset_precise p;
  struct ptp_clock_caps caps;
  struct timespec ts, rt;
  struct timex tx;
  int fd, fd1, fd2, nfd, sock, r, nslow, i, ok;
  int64_t d, mn, mx;
  char buf[8];

  fd = open("/dev/ptp0", O_RDONLY);
  check(fd >= 0, "open /dev/ptp0 O_RDONLY");
  if (fd < 0)
    return;

  memset(&caps, 0xff, sizeof(caps));
  r = ioctl(fd, PTP_CLOCK_GETCAPS, &caps);
  check(!r && caps.max_adj == 500000000 && caps.cross_timestamping == 1 &&
        caps.n_pins == 0 && caps.pps == 0, "PTP_CLOCK_GETCAPS");
  memset(&caps, 0xff, sizeof(caps));
  r = ioctl(fd, PTP_CLOCK_GETCAPS2, &caps);
  check(!r && caps.cross_timestamping == 1, "PTP_CLOCK_GETCAPS2");

  r = ext(fd, 10, &x);
  check(!r && ext_exact(&x, OFFSET, 400, &nslow) && !nslow,
        "EXTENDED 10 samples: midpoint offset exactly %lld ns, width 400",
        OFFSET);
  memset(&x2, 0, sizeof(x2));
  x2.n_samples = 1;
  r = ioctl(fd, PTP_SYS_OFFSET_EXTENDED2, &x2);
  check(!r && ext_exact(&x2, OFFSET, 400, &nslow), "EXTENDED2");
  errno = 0;
  check(ext(fd, 0, &x) && errno == EINVAL, "EXTENDED n_samples=0 -> EINVAL");
  errno = 0;
  check(ext(fd, PTP_MAX_SAMPLES + 1, &x) && errno == EINVAL,
        "EXTENDED n_samples=26 -> EINVAL");
  for (int w = 1; w < 4; w++) { /* header words 1-3: rsv[3], or clockid and rsv[2] (>= 6.12) */
    memset(&x, 0, sizeof(x));
    x.n_samples = 1;
    memcpy((char *)&x + 4 * w, &(unsigned){1}, 4);
    errno = 0;
    check(ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &x) && errno == EINVAL,
          "EXTENDED header word %d != 0 -> EINVAL", w);
  }
  /* The caller zeroes only the header, as the kernel requires: the timestamps it asks for may
     hold anything (the fake once read the first one as a reserved word under 6.12 headers). */
  memset(&x, 0xa5, sizeof(x));
  memset(&x, 0, offsetof(struct ptp_sys_offset_extended, ts));
  x.n_samples = 2;
  r = ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &x);
  check(!r && ext_exact(&x, OFFSET, 400, &nslow), "EXTENDED, only the header zeroed");

  memset(&b, 0, sizeof(b));
  b.n_samples = 5;
  r = ioctl(fd, PTP_SYS_OFFSET, &b);
  check(!r && basic_exact(&b, OFFSET, 400),
        "SYS_OFFSET 5 samples: phc exactly at neighbours' midpoint");
  b.n_samples = 3;
  r = ioctl(fd, PTP_SYS_OFFSET2, &b);
  check(!r && basic_exact(&b, OFFSET, 400), "SYS_OFFSET2");
  b.n_samples = PTP_MAX_SAMPLES + 1;
  errno = 0;
  check(ioctl(fd, PTP_SYS_OFFSET, &b) && errno == EINVAL,
        "SYS_OFFSET n_samples=26 -> EINVAL");

  memset(&p, 0xff, sizeof(p));
  r = ioctl(fd, PTP_SYS_OFFSET_PRECISE, &p);
  check(!r && ns(&p.device) - ns(&p.sys_realtime) == OFFSET &&
        ns(&p.sys_monoraw) > 0 && !p.rsv[0], "PRECISE: device - realtime exact");
  errno = 0;
  check(ioctl(fd, PTP_ENABLE_PPS, 1) && errno == ENOTTY,
        "unknown ioctl on emulated fd -> ENOTTY");

  /* dynamic POSIX clock of the fd */
  for (i = 0, d = INT64_MAX; i < 3; i++) { /* best of 3: a preemption is not a failure */
    clock_gettime(CLOCK_REALTIME, &rt);
    r = clock_gettime(FD_TO_CLOCKID(fd), &ts);
    if (!r && ts_ns(&ts) - ts_ns(&rt) - OFFSET < d)
      d = ts_ns(&ts) - ts_ns(&rt) - OFFSET;
  }
  check(!r && d >= 0 && d < 1000000,
        "clock_gettime(FD_TO_CLOCKID) = realtime + offset (+%lld ns)", (long long)d);
  r = clock_getres(FD_TO_CLOCKID(fd), &ts);
  check(!r && ts.tv_sec == 0 && ts.tv_nsec == 1, "clock_getres = 1 ns");
  memset(&tx, 0, sizeof(tx));
  tx.freq = 12345;
  r = clock_adjtime(FD_TO_CLOCKID(fd), &tx);
  check(r == TIME_OK && tx.freq == 0, "clock_adjtime modes=0 -> TIME_OK, freq 0");
  tx.modes = ADJ_FREQUENCY;
  errno = 0;
  check(clock_adjtime(FD_TO_CLOCKID(fd), &tx) == -1 && errno == EPERM,
        "clock_adjtime ADJ_FREQUENCY -> EPERM");

  /* second device: env defaults (offset 0) */
  fd1 = openat(AT_FDCWD, "/dev/ptp1", O_RDWR);
  check(fd1 >= 0 && !ext(fd1, 3, &x) && ext_exact(&x, 0, 400, &nslow),
        "openat /dev/ptp1 O_RDWR, defaults: offset 0, delay 400");

  /* runtime control file */
  ctl_file("ptp0.conf", "methods=basic\n");
  errno = 0;
  check(ioctl(fd, PTP_SYS_OFFSET_PRECISE, &p) && errno == EOPNOTSUPP,
        "ctl methods=basic: PRECISE -> EOPNOTSUPP");
  errno = 0;
  check(ext(fd, 1, &x) && errno == EOPNOTSUPP,
        "ctl methods=basic: EXTENDED -> EOPNOTSUPP");
  b.n_samples = 2;
  check(!ioctl(fd, PTP_SYS_OFFSET, &b) && !ioctl(fd, PTP_CLOCK_GETCAPS, &caps) &&
        caps.cross_timestamping == 0, "ctl methods=basic: basic ok, no crossts cap");

  ctl_file("ptp0.conf", "# file overrides env\noffset_ns=5\n delay_ns=1001\n");
  check(!ext(fd, 4, &x) && ext_exact(&x, 5, 1001, &nslow),
        "ctl offset_ns=5 delay_ns=1001 (methods back to default)");

  ctl_file("ptp0.conf", "noise_ns=100");
  ok = !ext(fd, 25, &x);
  mn = INT64_MAX;
  mx = INT64_MIN;
  for (i = 0; ok && i < 25; i++) {
    d = ns(&x.ts[i][1]) - (ns(&x.ts[i][0]) + 200) - OFFSET;
    mn = d < mn ? d : mn;
    mx = d > mx ? d : mx;
  }
  check(ok && mn >= -100 && mx <= 100 && mn < mx,
        "ctl noise_ns=100: jitter within [%lld, %lld]", (long long)mn, (long long)mx);

  ctl_file("ptp0.conf", "slow_every=5");
  check(!ext(fd, 10, &x) && ext_exact(&x, OFFSET, 400, &nslow) && nslow == 2,
        "ctl slow_every=5: 2 of 10 samples 21x wide, midpoint still exact");

  ctl_file("ptp0.conf", "drift_ppb=1000000");
  ext(fd, 1, &x);
  usleep(20000);
  ext(fd, 1, &x2);
  d = (ns(&x2.ts[0][1]) - ns(&x2.ts[0][0])) - (ns(&x.ts[0][1]) - ns(&x.ts[0][0]));
  mn = (ns(&x2.ts[0][0]) - ns(&x.ts[0][0])) / 1000;   /* 1000 ppm */
  check(d >= mn - 2 && d <= mn + 2, "ctl drift_ppb=1e6: offset grew %lld ns (expect %lld)",
        (long long)d, (long long)mn);

  ctl_file("ptp0.conf", NULL);
  check(!ext(fd, 3, &x) && ext_exact(&x, OFFSET, 400, &nslow) && !nslow,
        "ctl file removed: env values again");

  /* vanishing device */
  ctl_file("ptp0.gone", "");
  errno = 0;
  check(ext(fd, 1, &x) && errno == ENODEV, ".gone: ioctl -> ENODEV");
  errno = 0;
  check(clock_gettime(FD_TO_CLOCKID(fd), &ts) && errno == ENODEV,
        ".gone: clock_gettime -> ENODEV");
  errno = 0;
  fd2 = open("/dev/ptp0", O_RDONLY);
  check(fd2 == -1 && errno == ENOENT, ".gone: open -> ENOENT");
  check(!ext(fd1, 1, &x), ".gone: other device unaffected");
  ctl_file("ptp0.gone", NULL);
  errno = 0;
  check(ext(fd, 1, &x) && errno == ENODEV, "back: old fd still ENODEV");
  errno = 0;
  check(clock_gettime(FD_TO_CLOCKID(fd), &ts) && errno == ENODEV,
        "back: old fd clock_gettime still ENODEV");
  fd2 = open("/dev/ptp0", O_RDONLY | O_CLOEXEC);
  check(fd2 >= 0 && !ext(fd2, 2, &x) && ext_exact(&x, OFFSET, 400, &nslow),
        "back: fresh open works");
  check(close(fd) == 0 && close(fd2) == 0 && close(fd1) == 0, "close");

  /* ethtool */
  sock = socket(AF_INET, SOCK_DGRAM, 0);
  if (sock < 0)
    sock = socket(AF_UNIX, SOCK_DGRAM, 0);
  r = ethtool_index(sock, "fake0");
  check(r == 0, "ETHTOOL_GET_TS_INFO fake0 -> phc_index %d", r);
  r = ethtool_index(sock, "fake1");
  check(r == 1, "ETHTOOL_GET_TS_INFO fake1 -> phc_index %d", r);
  close(sock);

  /* pass-through */
  nfd = open("/dev/null", O_RDWR);
  check(nfd >= 0 && write(nfd, "x", 1) == 1 && read(nfd, buf, 1) == 0,
        "/dev/null passes through");
  errno = 0;
  check(ioctl(nfd, PTP_CLOCK_GETCAPS, &caps) && errno == ENOTTY,
        "PTP ioctl on /dev/null -> real ENOTTY");
  errno = 0;
  check(clock_gettime(FD_TO_CLOCKID(nfd), &ts) && errno == EINVAL,
        "clock_gettime on /dev/null clockid -> real EINVAL");
  close(nfd);
  r = clock_gettime(CLOCK_REALTIME, &ts);
  d = (int64_t)ts.tv_sec - (int64_t)time(NULL);
  check(!r && d >= -1 && d <= 1, "CLOCK_REALTIME passes through");
  errno = 0;
  check(open("/dev/ptp7", O_RDONLY) == -1 && errno == ENOENT,
        "unconfigured /dev/ptp7 passes through (ENOENT)");
}

/* time_pps_fetch with a timeout in ms: 0 polls, -1 waits without a timeout */
static int fetch(pps_handle_t h, pps_info_t *info, int ms)
{
  struct timespec to = { ms / 1000, (ms % 1000) * 1000000L };

  memset(info, 0, sizeof(*info));
  return time_pps_fetch(h, PPS_TSFMT_TSPEC, info, ms < 0 ? NULL : &to);
}

/* nearest whole second of a timestamp, and the distance to it */
static int64_t near_sec(const struct timespec *t, int64_t *dev)
{
  int64_t v = ts_ns(t), s = (v + SEC / 2) / SEC;

  *dev = v - s * SEC;
  return s;
}

static int64_t now_ns(void)
{
  struct timespec t;

  clock_gettime(CLOCK_REALTIME, &t);
  return ts_ns(&t);
}

static int pps_mode(int fd)
{
  struct pps_kparams kp;

  memset(&kp, 0, sizeof(kp));
  return ioctl(fd, PPS_GETPARAMS, &kp) ? -1 : kp.mode;
}

/* PPS: /dev/pps0 offset_ns=123456; /dev/pps1 miss_every=2,setparams=eperm,jitter_ns=1000.
   About 4.5 s, mostly waiting for pulses. */
static void run_pps_checks(void)
{
  pps_handle_t h0 = -1, h1 = -1, h2 = -1; /* a failed time_pps_create() leaves them unset */
  pps_params_t pp;
  pps_info_t in, in2;
  struct pps_fdata fdata;
  struct pps_bind_args bind;
  struct ptp_clock_caps caps;
  struct timespec ts;
  int fd0, fd1, fd2, r, mode, ok;
  unsigned long seq;
  int64_t t, e1, dev1, dev2, r1, r2;
  pid_t pid;

  fd0 = open("/dev/pps0", O_RDWR);
  check(fd0 >= 0 && !time_pps_create(fd0, &h0), "open /dev/pps0 O_RDWR, time_pps_create");
  fd1 = open("/dev/pps1", O_RDWR | O_CLOEXEC);
  check(fd1 >= 0 && !time_pps_create(fd1, &h1), "open /dev/pps1 O_RDWR, time_pps_create");
  if (fd0 < 0 || fd1 < 0)
    return;
  mode = 0;
  r = time_pps_getcap(h0, &mode);
  check(!r && mode == PPS_DEFAULT_CAPS, "time_pps_getcap = %#x", mode);
  memset(&pp, 0xff, sizeof(pp));
  r = time_pps_getparams(h0, &pp);
  check(!r && pp.api_version == PPS_API_VERS &&
        pp.mode == (PPS_CAPTUREASSERT | PPS_TSFMT_TSPEC) && !pp.assert_offset.tv_sec &&
        !pp.assert_offset.tv_nsec, "time_pps_getparams: api 1, mode %#x, offsets 0", pp.mode);
  pp.mode |= PPS_CAPTUREASSERT;
  pp.mode &= ~PPS_CAPTURECLEAR;
  r = time_pps_setparams(h0, &pp);
  mode = pps_mode(fd0);
  check(!r && mode == (PPS_CAPTUREASSERT | PPS_TSFMT_TSPEC | PPS_CANWAIT),
        "time_pps_setparams capture assert -> mode %#x (+CANWAIT, as the kernel)", mode);
  pp.mode = PPS_CAPTUREASSERT | PPS_ECHOASSERT;
  errno = 0;
  r = time_pps_setparams(h0, &pp);
  check(r && errno == EINVAL, "setparams with a mode bit not in caps -> EINVAL");
  pp.mode = PPS_TSFMT_TSPEC;
  errno = 0;
  r = time_pps_setparams(h0, &pp);
  check(r && errno == EINVAL && pps_mode(fd0) == mode,
        "setparams without capture bits -> EINVAL, mode kept");

  r = time_pps_getparams(h1, &pp);
  pp.mode = PPS_CAPTUREBOTH | PPS_TSFMT_TSPEC;
  errno = 0;
  check(!r && time_pps_setparams(h1, &pp) && errno == EPERM &&
        pps_mode(fd1) == (PPS_CAPTUREASSERT | PPS_TSFMT_TSPEC),
        "pps1 setparams=eperm: EPERM, mode kept");

  /* pps0: edges exactly at true whole seconds, i.e. system .999876544 */
  r = fetch(h0, &in, 0);
  seq = in.assert_sequence;
  check(!r && seq <= 1 && !in.clear_sequence, "non-blocking fetch: assert_sequence %lu", seq);
  r = fetch(h0, &in, 2000);
  t = now_ns();
  e1 = ts_ns(&in.assert_timestamp);
  check(!r && in.assert_sequence == seq + 1 && (e1 + PPS0_OFFSET) % SEC == 0 &&
        in.assert_timestamp.tv_nsec == SEC - PPS0_OFFSET && t >= e1 && t - e1 < 100000000,
        "blocking fetch (2 s timeout): next edge, seq %lu, at %lld.%09ld, returned %lld ns later",
        in.assert_sequence, (long long)in.assert_timestamp.tv_sec, in.assert_timestamp.tv_nsec,
        (long long)(t - e1));
  check(in.current_mode == mode && !in.clear_sequence,
        "current_mode %#x; clear edges not captured without CAPTURECLEAR", in.current_mode);
  seq = in.assert_sequence;
  usleep(1100000);
  r = fetch(h0, &in, 0);
  check(!r && in.assert_sequence == seq + 1 && ts_ns(&in.assert_timestamp) == e1 + SEC,
        "after 1.1 s: assert_sequence +1, timestamp +1 s exactly (.%09ld)",
        in.assert_timestamp.tv_nsec);

  /* pps1: only odd seconds pulse, each within +-1000 ns */
  r = fetch(h1, &in, 0);
  r1 = near_sec(&in.assert_timestamp, &dev1);
  check(!r && in.assert_sequence >= 1 && r1 % 2 == 1 && dev1 >= -1000 && dev1 <= 1000,
        "pps1: last edge in odd second %lld, %+lld ns, seq %lu", (long long)r1,
        (long long)dev1, in.assert_sequence);
  r = fetch(h1, &in2, 2500);
  r2 = near_sec(&in2.assert_timestamp, &dev2);
  check(!r && in2.assert_sequence == in.assert_sequence + 1 && r2 == r1 + 2 &&
        dev2 >= -1000 && dev2 <= 1000 && (dev1 || dev2),
        "pps1 blocking fetch: next edge 2 s later (missed one), seq +1, %+lld ns",
        (long long)dev2);

  /* offset change at run time (we are just past true second R2 = r2): true time now runs
     0.75 s ahead, so true second r2 + 1 pulses at system r2 + 0.25; no second pulses twice */
  fetch(h0, &in, 0);
  ctl_file("pps0.conf", "offset_ns=750000000\n");
  r = fetch(h0, &in2, 2000);
  t = ts_ns(&in2.assert_timestamp);
  check(!r && in2.assert_sequence == in.assert_sequence + 1 &&
        in2.assert_timestamp.tv_nsec == 250000000 && t > ts_ns(&in.assert_timestamp) &&
        t - ts_ns(&in.assert_timestamp) < SEC,
        "ctl offset_ns=750000000: next edge at .%09ld, seq +1, %lld ns after the last",
        in2.assert_timestamp.tv_nsec, (long long)(t - ts_ns(&in.assert_timestamp)));

  /* capture clear too: a blocking fetch returns at the clear edge, width after assert */
  time_pps_getparams(h0, &pp);
  pp.mode |= PPS_CAPTUREBOTH;
  r = time_pps_setparams(h0, &pp);
  ok = !r && !fetch(h0, &in, 1000);
  check(ok && in.clear_sequence == 1 && in.assert_sequence == in2.assert_sequence &&
        ts_ns(&in.clear_timestamp) == t + 100000000,
        "CAPTUREBOTH: blocking fetch returns the clear edge, 100 ms after assert");

  /* other ioctls */
  memset(&bind, 0, sizeof(bind));
  errno = 0;
  check(ioctl(fd0, PPS_KC_BIND, &bind) && errno == EOPNOTSUPP, "PPS_KC_BIND -> EOPNOTSUPP");
  errno = 0;
  check(ioctl(fd0, PTP_CLOCK_GETCAPS, &caps) && errno == ENOTTY,
        "PTP ioctl on a PPS fd -> ENOTTY");
  errno = 0;
  check(clock_gettime(FD_TO_CLOCKID(fd0), &ts) && errno == EINVAL,
        "PPS fd is no POSIX clock -> real EINVAL");
  fd2 = open("/dev/pps0", O_RDONLY);
  time_pps_getparams(fd2, &pp);
  check(fd2 >= 0 && !time_pps_setparams(fd2, &pp) && !close(fd2),
        "setparams on an O_RDONLY fd is allowed (the kernel checks no f_mode)");
  memset(&fdata, 0, sizeof(fdata));
  fdata.timeout.sec = -1;
  errno = 0;
  check(ioctl(fd0, PPS_FETCH, &fdata) && errno == ETIMEDOUT,
        "PPS_FETCH negative timeout -> ETIMEDOUT");

  /* no pulses: a bounded wait times out; a .gone wakes an unbounded one */
  ctl_file("pps1.conf", "miss_every=1");
  t = now_ns();
  errno = 0;
  r = fetch(h1, &in, 200);
  t = now_ns() - t;
  check(r && errno == ETIMEDOUT && t >= 200000000 && t < 600000000,
        "pps1 miss_every=1: fetch with 0.2 s timeout -> ETIMEDOUT after %lld ms",
        (long long)(t / 1000000));
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    usleep(150000);
    ctl_file("pps1.gone", "");
    _exit(0);
  }
  errno = 0;
  r = fetch(h1, &in, -1);
  check(r && errno == ENODEV, "pps1 goes .gone during a wait without timeout -> ENODEV");
  if (pid > 0)
    waitpid(pid, NULL, 0);

  /* vanishing pps0 */
  ctl_file("pps0.gone", "");
  errno = 0;
  check(fetch(h0, &in, 0) && errno == ENODEV, "pps0 .gone: fetch -> ENODEV");
  errno = 0;
  check(open("/dev/pps0", O_RDWR) == -1 && errno == ENOENT, "pps0 .gone: open -> ENOENT");
  ctl_file("pps0.gone", NULL);
  errno = 0;
  check(time_pps_getcap(h0, &mode) && errno == ENODEV, "pps0 back: old fd still ENODEV");
  fd2 = open("/dev/pps0", O_RDWR);
  ok = fd2 >= 0 && !time_pps_create(fd2, &h2) && !fetch(h2, &in, 0);
  check(ok && in.assert_sequence <= 1 && pps_mode(fd2) == (PPS_CAPTUREASSERT | PPS_TSFMT_TSPEC),
        "pps0 back: fresh open is a fresh source (seq %lu, default mode)", in.assert_sequence);
  check(!time_pps_destroy(h0) && !close(fd1) && !close(fd2), "close PPS fds");
}

/* Parent: set up the environment, run ourselves preloaded, clean up. */
static int spawn(char **argv)
{
  char dir[PATH_MAX], lib[PATH_MAX], pre[2 * PATH_MAX], path[PATH_MAX + 32];
  const char *tmp = getenv("TMPDIR"), *old = getenv("LD_PRELOAD"), *asan = getenv("ASAN_OPTIONS");
  static const char *const files[] = { "ptp0.conf", "ptp0.gone", ".tmp", "pps0.conf",
                                       "pps0.gone", "pps1.conf", "pps1.gone" };
  unsigned i;
  int status;
  pid_t pid;

  if (!argv[1] || !realpath(argv[1], lib)) {
    fprintf(stderr, "usage: %s /path/to/libfakedev.so\n", argv[0]);
    return 2;
  }
  snprintf(dir, sizeof(dir), "%s/fakedev_selftest.XXXXXX", tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 2;
  }
  snprintf(pre, sizeof(pre), "%s%s%s", old ? old : "", old && *old ? ":" : "", lib);
  setenv("LD_PRELOAD", pre, 1);
  setenv("FAKEDEV_PTP", "/dev/ptp0,/dev/ptp1", 1);
  setenv("FAKEDEV_PTP0", "offset_ns=37000123456,delay_ns=400", 1);
  unsetenv("FAKEDEV_PTP1");
  setenv("FAKEDEV_PPS", "/dev/pps0,/dev/pps1", 1);
  setenv("FAKEDEV_PPS0", "offset_ns=123456", 1);
  setenv("FAKEDEV_PPS1", "miss_every=2,setparams=eperm,jitter_ns=1000", 1);
  setenv("FAKEDEV_CTL", dir, 1);
  setenv("FAKEDEV_IFACES", "fake0=0,fake1=1", 1);
  setenv("FAKEDEV_SELFTEST_CHILD", "1", 1);
  /* an ASan build of this test would object to a preload ahead of its runtime */
  snprintf(path, sizeof(path), "%s%sverify_asan_link_order=0", asan ? asan : "",
           asan && *asan ? ":" : "");
  setenv("ASAN_OPTIONS", path, 1);
  fflush(NULL);
  pid = fork();
  if (pid == 0) {
    execv("/proc/self/exe", argv);
    perror("execv");
    _exit(2);
  }
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    status = 2 << 8;
  for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
    unlink(path);
  }
  rmdir(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

int main(int argc, char **argv)
{
  (void)argc;
  ctl = getenv("FAKEDEV_CTL");
  if (!getenv("FAKEDEV_SELFTEST_CHILD") || !getenv("FAKEDEV_PTP") || !ctl)
    return spawn(argv);
  run_checks();
  run_pps_checks();
  printf("%s: %d checks, %d failed\n", failures ? "FAIL" : "PASS", checks, failures);
  return failures ? 1 : 0;
}
