/* fakedev.c - LD_PRELOAD library emulating Linux PTP hardware clocks (/dev/ptpN) and kernel
   PPS sources (/dev/ppsN, RFC 2783 ioctls) on a kernel that has none, so unmodified programs
   (refclock-bridge, phc2sys, chronyd's PHC and PPS refclocks) run their real code paths
   against them.

   An emulated path opens a real /dev/null fd; an fd -> device table turns ioctl()s and
   dynamic-clockid clock_*() calls on that fd into synthetic, exactly predictable readings.
   Everything else passes through to the next definition (libc), found with dlsym(RTLD_NEXT).
   Device kinds live in a table (kinds[]).
   Environment and control files: README.md. Not thread-safe: the users are single-threaded. */
#define _GNU_SOURCE
/* Fortified and 64-bit-offset headers redirect open() & co. to other symbols; we define the
   plain symbols ourselves, so switch those features off for this file. */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/pps.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>

/* glibc declares these only in fortified builds, whose programs call them instead of open(). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

#define MAX_FDS 1024 /* emulated fds must be below this */
#define MAX_DEVS 16
#define MAX_IFACES 16
#define NS_PER_SEC 1000000000LL

/* PTP_SYS_OFFSET* flavours, enabled by the "methods" key */
#define M_PRECISE 1u
#define M_EXTENDED 2u
#define M_BASIC 4u

struct params {
  int64_t offset_ns;  /* device time - CLOCK_REALTIME */
  double drift_ppb;   /* device frequency error, phase-continuous from t0 */
  int64_t delay_ns;   /* width of one simulated read window */
  int64_t noise_ns;   /* bound of the uniform jitter on each reading */
  int64_t slow_every; /* every Nth windowed reading is 21 windows wide */
  unsigned methods;   /* M_* */
  int64_t index;      /* PHC index; informational for now */
  /* PPS only */
  int64_t jitter_ns;  /* bound of the uniform jitter on each pulse's system timestamp */
  int64_t width_ns;   /* clear edge this long after the assert edge */
  int64_t miss_every; /* N > 0: no pulse in the seconds k with k % N == 0 */
  int setparams_eperm;
  int64_t caps;       /* PPS_GETCAP; SETPARAMS accepts only these mode bits */
  int64_t mode;       /* initial kparams.mode */
};

/* Run-time state of a PPS source, as the kernel's struct pps_device keeps it. The pulse train
   is simulated lazily: every access first processes the edges that are due (pps_advance). */
struct pps_state {
  int started;
  struct pps_kparams params;
  int current_mode;        /* params.mode at the last edge, 0 before the first (as the kernel) */
  __u32 aseq, cseq;        /* captured edges so far */
  struct pps_ktime atu, ctu;
  unsigned last_ev;        /* bumped by every captured edge; what a blocking fetch waits for */
  int64_t last_at, last_k; /* system time and true second of the last assert edge */
  int64_t checked;         /* time of the last pps_advance: all edges up to it are final */
  int pending;             /* next_*: the next assert edge, drawn from sched_* params */
  int64_t next_at, next_k;
  int64_t sched_off, sched_jit, sched_miss;
  int64_t clear_at;        /* pending clear edge, INT64_MAX: none */
};

struct fake_dev;

/* One emulated device kind. clock_gettime == NULL: its fds are not POSIX clocks. */
struct fake_kind {
  const char *name;
  const char *list_env; /* comma list of the paths to emulate */
  int (*parse)(struct params *p, const char *key, char *val); /* kind-specific keys */
  int (*ioctl)(struct fake_dev *d, int fd, unsigned int req, void *arg);
  int (*clock_gettime)(struct fake_dev *d, struct timespec *ts);
};

struct fake_dev {
  const struct fake_kind *kind;
  char path[128];
  char base[64];     /* basename: names the env variable and the ctl files */
  struct params env; /* defaults + FAKEDEV_<BASE> */
  struct params p;   /* effective: env overridden by the ctl .conf file */
  int conf_seen;     /* identity of the .conf file last loaded: */
  struct timespec conf_mtim;
  off_t conf_size;
  ino_t conf_ino;
  int gone;       /* the ctl .gone file existed at the last check */
  unsigned gen;   /* bumped on each disappearance; older fds stay dead */
  uint64_t nread; /* windowed readings so far, for slow_every */
  struct pps_state pps;
};

static struct fake_dev devs[MAX_DEVS];
static int ndevs;
static struct { struct fake_dev *dev; unsigned gen; } fds[MAX_FDS]; /* indexed by fd */
static struct { char name[IFNAMSIZ]; int index; } ifaces[MAX_IFACES];
static int nifaces;
static char ctl_dir[256];
static int64_t t0; /* CLOCK_REALTIME at first use: the drift origin and the first pulse */
static uint64_t rng_state = 1;
static int inited;

/* ---- The real functions, looked up at first use: we may be called before constructors. */

static __typeof__(openat) *real_openat;
static __typeof__(close) *real_close;
static __typeof__(ioctl) *real_ioctl;
static __typeof__(clock_gettime) *real_clock_gettime;
static __typeof__(clock_getres) *real_clock_getres;
static __typeof__(clock_settime) *real_clock_settime;
static __typeof__(clock_adjtime) *real_clock_adjtime;

#define REAL(fn)                                                  \
  ({                                                              \
    if (!real_##fn)                                               \
      real_##fn = (__typeof__(real_##fn))dlsym(RTLD_NEXT, #fn);   \
    real_##fn;                                                    \
  })

static int fail(int err)
{
  errno = err;
  return -1;
}

/* ---- Time as int64 ns since the epoch (good until 2262). */

static int64_t clock_ns(clockid_t clk)
{
  struct timespec ts;
  if (REAL(clock_gettime)(clk, &ts))
    return 0;
  return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Floor division, so that the nanoseconds part is always in [0, 1e9). */
static int64_t ns_sec(int64_t ns)
{
  return ns / NS_PER_SEC - (ns % NS_PER_SEC < 0);
}

static void to_ptp(int64_t ns, struct ptp_clock_time *pt)
{
  pt->sec = ns_sec(ns);
  pt->nsec = (__u32)(ns - ns_sec(ns) * NS_PER_SEC);
  pt->reserved = 0;
}

/* Uniform in [-bound, +bound] from xorshift64*: the same FAKEDEV_SEED gives the same noise. */
static int64_t uniform(int64_t bound)
{
  if (bound <= 0)
    return 0;
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t r = rng_state * 0x2545F4914F6CDD1DULL;
  return (int64_t)(r % (2 * (uint64_t)bound + 1)) - bound;
}

static int64_t noise(const struct fake_dev *d)
{
  return uniform(d->p.noise_ns);
}

/* Device time at system time sys: exact integer math while the drift is 0. The drift term is
   rounded by hand, which keeps libm out of a library that is linked with -ldl only. */
static int64_t phc_at(const struct fake_dev *d, int64_t sys)
{
  int64_t v = sys + d->p.offset_ns;
  if (d->p.drift_ppb != 0.0) {
    long double x = (long double)d->p.drift_ppb * 1e-9L * (long double)(sys - t0);
    v += (int64_t)(x < 0 ? x - 0.5L : x + 0.5L);
  }
  return v;
}

/* ---- Configuration */

static int parse_i64(const char *s, int64_t min, int64_t *out)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < min)
    return -1;
  *out = v;
  return 0;
}

/* "precise+extended+basic", any subset, or "none" */
static int parse_methods(char *s, unsigned *out)
{
  static const char *const names[] = {"precise", "extended", "basic"}; /* bit i: M_* */
  char *save = NULL;
  unsigned m = 0, i;
  for (char *tok = strtok_r(s, "+|", &save); tok; tok = strtok_r(NULL, "+|", &save)) {
    for (i = 0; i < 3 && strcmp(tok, names[i]); i++)
      ;
    if (i == 3 && strcmp(tok, "none"))
      return -1;
    m |= i < 3 ? 1u << i : 0;
  }
  *out = m;
  return 0;
}

static int ptp_parse(struct params *p, const char *key, char *val)
{
  char *end;
  if (!strcmp(key, "delay_ns"))
    return parse_i64(val, 0, &p->delay_ns);
  if (!strcmp(key, "noise_ns"))
    return parse_i64(val, 0, &p->noise_ns);
  if (!strcmp(key, "slow_every"))
    return parse_i64(val, 0, &p->slow_every);
  if (!strcmp(key, "index"))
    return parse_i64(val, 0, &p->index);
  if (!strcmp(key, "methods"))
    return parse_methods(val, &p->methods);
  if (strcmp(key, "drift_ppb"))
    return -1;
  p->drift_ppb = strtod(val, &end);
  return (end == val || *end) ? -1 : 0;
}

/* mode bits: decimal or 0x hex */
static int parse_bits(const char *s, int64_t *out)
{
  char *end;
  int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  errno = 0;
  unsigned long v = strtoul(s, &end, hex ? 16 : 10);
  if (errno || end == s || *end || *s == '-' || v > INT32_MAX)
    return -1;
  *out = (int64_t)v;
  return 0;
}

static int pps_parse(struct params *p, const char *key, char *val)
{
  int64_t v;
  if (!strcmp(key, "jitter_ns"))
    return parse_i64(val, 0, &p->jitter_ns);
  if (!strcmp(key, "width_ns")) /* below one period, so that pulses do not overlap */
    return parse_i64(val, 0, &v) || v >= NS_PER_SEC ? -1 : (p->width_ns = v, 0);
  if (!strcmp(key, "miss_every"))
    return parse_i64(val, 0, &p->miss_every);
  if (!strcmp(key, "caps"))
    return parse_bits(val, &p->caps);
  if (!strcmp(key, "mode"))
    return parse_bits(val, &p->mode);
  if (strcmp(key, "setparams") || (strcmp(val, "ok") && strcmp(val, "eperm")))
    return -1;
  p->setparams_eperm = !strcmp(val, "eperm");
  return 0;
}

static int parse_kv(const struct fake_kind *k, struct params *p, const char *key, char *val)
{
  if (!strcmp(key, "offset_ns"))
    return parse_i64(val, INT64_MIN, &p->offset_ns);
  return k->parse(p, key, val);
}

/* "key=value" items separated by commas or white space; '#' comments to the end of the line.
   A bad item is reported on stderr and skipped, the others still apply. */
static void parse_params(const struct fake_kind *k, struct params *p, char *s, const char *origin)
{
  char *save = NULL, *eq;
  for (char *c = s; (c = strchr(c, '#'));)
    while (*c && *c != '\n')
      *c++ = ' ';
  for (char *tok = strtok_r(s, ", \t\r\n", &save); tok; tok = strtok_r(NULL, ", \t\r\n", &save)) {
    if ((eq = strchr(tok, '=')))
      *eq = '\0';
    if (!eq || parse_kv(k, p, tok, eq + 1))
      fprintf(stderr, "fakedev: %s: bad item '%s%s%s'\n", origin, tok, eq ? "=" : "",
              eq ? eq + 1 : "");
  }
}

static void add_dev(const struct fake_kind *k, const char *path)
{
  const char *base = strrchr(path, '/');
  struct fake_dev *d = &devs[ndevs];
  char env[96], *val;
  size_t i, n;
  base = base ? base + 1 : path;
  if (ndevs == MAX_DEVS || !*base || strlen(path) >= sizeof(d->path) ||
      strlen(base) >= sizeof(d->base)) {
    fprintf(stderr, "fakedev: ignoring device '%s'\n", path);
    return;
  }
  ndevs++;
  d->kind = k;
  strcpy(d->path, path);
  strcpy(d->base, base);

  /* defaults; the index is the basename's trailing number (ptp3 -> 3) */
  d->env.delay_ns = 400;
  d->env.methods = M_PRECISE | M_EXTENDED | M_BASIC;
  d->env.width_ns = 100000000;
  d->env.caps = PPS_CAPTUREBOTH | PPS_OFFSETASSERT | PPS_OFFSETCLEAR | PPS_CANWAIT |
                PPS_TSFMT_TSPEC;
  d->env.mode = PPS_CAPTUREASSERT | PPS_TSFMT_TSPEC;
  for (n = strlen(base); n > 0 && base[n - 1] >= '0' && base[n - 1] <= '9'; n--)
    ;
  d->env.index = atoi(base + n);

  /* FAKEDEV_<BASENAME>: upper-cased, any other non-alphanumeric as '_' */
  n = (size_t)snprintf(env, sizeof(env), "FAKEDEV_");
  for (i = 0; base[i] && n + 1 < sizeof(env); i++, n++) {
    char c = base[i];
    if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    env[n] = ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
  }
  env[n] = '\0';
  if ((val = getenv(env)) && (val = strdup(val))) {
    parse_params(k, &d->env, val, env);
    free(val);
  }
  d->p = d->env;
}

/* FAKEDEV_IFACES=fake0=0,fake1=1: interface name -> PHC index for ETHTOOL_GET_TS_INFO */
static void parse_ifaces(const char *s)
{
  char buf[512], *save = NULL, *eq;
  int64_t idx;
  snprintf(buf, sizeof(buf), "%s", s);
  for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    if ((eq = strchr(tok, '=')))
      *eq = '\0';
    if (!eq || strlen(tok) >= IFNAMSIZ || nifaces == MAX_IFACES ||
        parse_i64(eq + 1, 0, &idx) || idx > INT32_MAX) {
      fprintf(stderr, "fakedev: FAKEDEV_IFACES: bad item '%s'\n", tok);
      continue;
    }
    strcpy(ifaces[nifaces].name, tok);
    ifaces[nifaces++].index = (int)idx;
  }
}

static int ptp_ioctl(struct fake_dev *d, int fd, unsigned int req, void *arg);
static int ptp_gettime(struct fake_dev *d, struct timespec *ts);
static int pps_ioctl(struct fake_dev *d, int fd, unsigned int req, void *arg);

static const struct fake_kind kinds[] = {
    {"ptp", "FAKEDEV_PTP", ptp_parse, ptp_ioctl, ptp_gettime},
    {"pps", "FAKEDEV_PPS", pps_parse, pps_ioctl, NULL}, /* PPS fds are no POSIX clocks */
};

/* Reads the environment once, at first use (from the constructor or earlier). */
static void init(void)
{
  char buf[1024], *save;
  int saved = errno;
  const char *s;
  if (inited)
    return;
  inited = 1;
  t0 = clock_ns(CLOCK_REALTIME);
  if ((s = getenv("FAKEDEV_SEED")))
    rng_state = strtoull(s, NULL, 0);
  if (!rng_state)
    rng_state = 1; /* xorshift stays at 0 forever */
  if ((s = getenv("FAKEDEV_CTL")) && strlen(s) < sizeof(ctl_dir))
    strcpy(ctl_dir, s);
  if ((s = getenv("FAKEDEV_IFACES")))
    parse_ifaces(s);
  for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
    if (!(s = getenv(kinds[k].list_env)))
      continue;
    snprintf(buf, sizeof(buf), "%s", s);
    save = NULL;
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
      add_dev(&kinds[k], tok);
  }
  errno = saved;
}

__attribute__((constructor)) static void fakedev_ctor(void)
{
  init();
}

static int ctl_path(char *buf, size_t size, const struct fake_dev *d, const char *ext)
{
  int n = snprintf(buf, size, "%s/%s.%s", ctl_dir, d->base, ext);
  return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* (Re)loads $FAKEDEV_CTL/<base>.conf when it appeared, changed (mtime in ns, size or inode) or
   vanished. Its values override the environment's; without it the environment's apply. */
static void reload_conf(struct fake_dev *d)
{
  char path[512], buf[4096];
  struct stat st;
  size_t len = 0;
  ssize_t n;
  int fd;
  if (ctl_path(path, sizeof(path), d, "conf"))
    return;
  if (stat(path, &st)) {
    if (d->conf_seen)
      d->p = d->env;
    d->conf_seen = 0;
    return;
  }
  if (d->conf_seen && st.st_size == d->conf_size && st.st_ino == d->conf_ino &&
      st.st_mtim.tv_sec == d->conf_mtim.tv_sec && st.st_mtim.tv_nsec == d->conf_mtim.tv_nsec)
    return;
  d->conf_seen = 1;
  d->conf_size = st.st_size;
  d->conf_ino = st.st_ino;
  d->conf_mtim = st.st_mtim;
  d->p = d->env;
  if ((fd = REAL(openat)(AT_FDCWD, path, O_RDONLY | O_CLOEXEC)) < 0)
    return;
  while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
    len += (size_t)n;
  REAL(close)(fd);
  buf[len] = '\0';
  parse_params(d->kind, &d->p, buf, path);
}

/* Picks up ctl-file changes. A newly seen .gone file kills every open fd of the device for
   good (generation bump), as a NIC reset does; only fds opened afterwards work again, and
   they see a fresh device (PPS: counters and parameters start over). */
static void refresh(struct fake_dev *d)
{
  char path[512];
  struct stat st;
  if (!ctl_dir[0])
    return;
  if (!ctl_path(path, sizeof(path), d, "gone")) {
    int gone = stat(path, &st) == 0;
    if (gone && !d->gone) {
      d->gen++;
      d->pps.started = 0;
    }
    d->gone = gone;
  }
  reload_conf(d);
}

/* ---- fd tracking; open and close */

static struct fake_dev *lookup_path(int dirfd, const char *path)
{
  init();
  if (!path || (path[0] != '/' && dirfd != AT_FDCWD))
    return NULL;
  for (int i = 0; i < ndevs; i++)
    if (!strcmp(devs[i].path, path))
      return &devs[i];
  return NULL;
}

static void untrack(int fd)
{
  if (fd >= 0 && fd < MAX_FDS)
    fds[fd].dev = NULL;
}

/* The device behind fd, or NULL if fd is not emulated. *live tells whether the device is
   there and fd was opened after its last disappearance. */
static struct fake_dev *fd_dev(int fd, int *live)
{
  struct fake_dev *d;
  if (fd < 0 || fd >= MAX_FDS || !(d = fds[fd].dev))
    return NULL;
  refresh(d);
  *live = !d->gone && fds[fd].gen == d->gen;
  return d;
}

/* Dynamic POSIX clock ids: FD_TO_CLOCKID(fd) = (~fd << 3) | 3; the fd is ~(clk >> 3). */
static struct fake_dev *clock_dev(clockid_t clk, int *live)
{
  struct fake_dev *d;
  if (clk >= 0 || (clk & 7) != 3)
    return NULL;
  d = fd_dev(~(clk >> 3), live);
  return (d && d->kind->clock_gettime) ? d : NULL;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
  struct fake_dev *d = lookup_path(dirfd, path);
  int fd;
  if (!d) {
    fd = REAL(openat)(dirfd, path, flags, mode);
    untrack(fd); /* the number is reused after a close we did not see */
    return fd;
  }
  refresh(d);
  if (d->gone)
    return fail(ENOENT);
  fd = REAL(openat)(AT_FDCWD, "/dev/null", flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK));
  if (fd >= MAX_FDS) {
    REAL(close)(fd);
    return fail(EMFILE);
  }
  if (fd >= 0) {
    fds[fd].dev = d;
    fds[fd].gen = d->gen;
  }
  return fd;
}

/* The mode argument exists, and may be read, only with O_CREAT or O_TMPFILE. */
#define OPEN_BODY(dirfd, extra)                                 \
  mode_t mode = 0;                                              \
  if (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE) {    \
    va_list ap;                                                 \
    va_start(ap, flags);                                        \
    mode = va_arg(ap, mode_t);                                  \
    va_end(ap);                                                 \
  }                                                             \
  return do_openat(dirfd, path, flags | (extra), mode)

int open(const char *path, int flags, ...)
{
  OPEN_BODY(AT_FDCWD, 0);
}

int open64(const char *path, int flags, ...)
{
  OPEN_BODY(AT_FDCWD, O_LARGEFILE);
}

int openat(int dirfd, const char *path, int flags, ...)
{
  OPEN_BODY(dirfd, 0);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
  OPEN_BODY(dirfd, O_LARGEFILE);
}

/* The fortified variants are only used without O_CREAT and O_TMPFILE. */
int __open_2(const char *p, int f) { return do_openat(AT_FDCWD, p, f, 0); }
int __open64_2(const char *p, int f) { return do_openat(AT_FDCWD, p, f | O_LARGEFILE, 0); }
int __openat_2(int dfd, const char *p, int f) { return do_openat(dfd, p, f, 0); }
int __openat64_2(int dfd, const char *p, int f) { return do_openat(dfd, p, f | O_LARGEFILE, 0); }

int close(int fd)
{
  untrack(fd);
  return REAL(close)(fd);
}

/* ---- The PTP kind */

/* One windowed reading that starts at system time `before`: the device is read at the
   window's midpoint. Every slow_every-th one is 21 delays wide (an interrupted read). */
static int64_t ptp_window(struct fake_dev *d, int64_t before, int64_t *after)
{
  int64_t w = d->p.delay_ns;
  d->nread++;
  if (d->p.slow_every > 0 && d->nread % (uint64_t)d->p.slow_every == 0)
    w += 20 * d->p.delay_ns;
  *after = before + w;
  return phc_at(d, before + w / 2) + noise(d);
}

static int ptp_ioctl(struct fake_dev *d, int fd, unsigned int req, void *arg)
{
  struct ptp_clock_caps *caps = arg;
  struct ptp_sys_offset_precise *pre = arg;
  struct ptp_sys_offset_extended *ext = arg;
  struct ptp_sys_offset *bas = arg;
  int64_t t, after, prev = INT64_MIN;
  unsigned need, hdr[4];
  _Static_assert(offsetof(struct ptp_sys_offset_extended, ts) == sizeof(hdr), "4-word header");
  (void)fd;
  switch (req) {
  case PTP_CLOCK_GETCAPS: case PTP_CLOCK_GETCAPS2: need = 0; break;
  case PTP_SYS_OFFSET_PRECISE: case PTP_SYS_OFFSET_PRECISE2: need = M_PRECISE; break;
  case PTP_SYS_OFFSET_EXTENDED: case PTP_SYS_OFFSET_EXTENDED2: need = M_EXTENDED; break;
  case PTP_SYS_OFFSET: case PTP_SYS_OFFSET2: need = M_BASIC; break;
  default: return fail(ENOTTY);
  }
  if (need && !(d->p.methods & need))
    return fail(EOPNOTSUPP);
  if (!arg)
    return fail(EFAULT);

  switch (need) {
  case 0:
    memset(caps, 0, sizeof(*caps));
    caps->max_adj = 500000000;
    caps->cross_timestamping = !!(d->p.methods & M_PRECISE);
    return 0;
  case M_PRECISE: /* a true cross timestamp: no read window */
    memset(pre, 0, sizeof(*pre));
    t = clock_ns(CLOCK_REALTIME);
    to_ptp(phc_at(d, t) + noise(d), &pre->device);
    to_ptp(t, &pre->sys_realtime);
    to_ptp(clock_ns(CLOCK_MONOTONIC_RAW), &pre->sys_monoraw);
    return 0;
  case M_EXTENDED:
    /* The header is four 32-bit words: n_samples, then rsv[3] before Linux 6.12, clockid and
       rsv[2] from 6.12 on (uapi headers differ, the ABI does not). Read it by word: naming
       rsv[2] under the newer header would read the first timestamp instead. Word 1 must be 0
       (CLOCK_REALTIME, the only clock emulated: a kernel before 6.12 also accepts only 0). */
    memcpy(hdr, ext, sizeof(hdr));
    if (ext->n_samples < 1 || ext->n_samples > PTP_MAX_SAMPLES || hdr[1] || hdr[2] || hdr[3])
      return fail(EINVAL);
    for (unsigned i = 0; i < ext->n_samples; i++) {
      t = clock_ns(CLOCK_REALTIME); /* a fresh reading per sample, never before the last */
      if (t < prev)
        t = prev;
      to_ptp(t, &ext->ts[i][0]);
      to_ptp(ptp_window(d, t, &after), &ext->ts[i][1]);
      to_ptp(after, &ext->ts[i][2]);
      prev = after;
    }
    return 0;
  default: /* M_BASIC: sys, phc, sys, ..., sys; each phc at its neighbours' midpoint */
    if (bas->n_samples < 1 || bas->n_samples > PTP_MAX_SAMPLES)
      return fail(EINVAL);
    t = clock_ns(CLOCK_REALTIME);
    to_ptp(t, &bas->ts[0]);
    for (unsigned i = 0; i < bas->n_samples; i++) {
      to_ptp(ptp_window(d, t, &after), &bas->ts[2 * i + 1]);
      to_ptp(after, &bas->ts[2 * i + 2]);
      t = after;
    }
    return 0;
  }
}

static int ptp_gettime(struct fake_dev *d, struct timespec *ts)
{
  int64_t ns = phc_at(d, clock_ns(CLOCK_REALTIME)) + noise(d);
  ts->tv_sec = (time_t)ns_sec(ns);
  ts->tv_nsec = (long)(ns - ns_sec(ns) * NS_PER_SEC);
  return 0;
}

/* ---- The PPS kind: kernel semantics of drivers/pps (pps.c, kapi.c) */

static void to_ktime(int64_t ns, struct pps_ktime *kt)
{
  kt->sec = ns_sec(ns);
  kt->nsec = (__s32)(ns - ns_sec(ns) * NS_PER_SEC);
  kt->flags = 0;
}

/* A fresh source: the pulse train runs since t0 (since now after a .gone cycle). */
static void pps_start(struct fake_dev *d)
{
  struct pps_state *s = &d->pps;
  memset(s, 0, sizeof(*s));
  s->started = 1;
  s->params.api_version = PPS_API_VERS;
  s->params.mode = (int)d->p.mode;
  s->last_at = d->gen ? clock_ns(CLOCK_REALTIME) : t0;
  s->last_k = INT64_MIN;
  s->clear_at = INT64_MAX;
}

/* Draws the next assert edge: the first true second k that is due after the last pulse and
   the last check, and after the last k, skipping missed seconds (miss_every=1: all of them);
   at system time k s - offset + jitter. */
static void pps_schedule(struct fake_dev *d)
{
  struct pps_state *s = &d->pps;
  int64_t base = s->last_at > s->checked ? s->last_at : s->checked;
  int64_t k = ns_sec(base + d->p.offset_ns) + 1;
  if (s->last_k != INT64_MIN && k <= s->last_k)
    k = s->last_k + 1;
  while (d->p.miss_every > 1 && k % d->p.miss_every == 0)
    k++;
  s->next_k = k;
  s->next_at = k * NS_PER_SEC - d->p.offset_ns + uniform(d->p.jitter_ns);
  if (s->next_at <= base)
    s->next_at = base + 1;
  if (d->p.miss_every == 1)
    s->next_at = INT64_MAX; /* never */
  s->sched_off = d->p.offset_ns;
  s->sched_jit = d->p.jitter_ns;
  s->sched_miss = d->p.miss_every;
  s->pending = 1;
}

/* pps_event(): captures (with offset compensation) only what params.mode asks for. */
static void pps_edge(struct pps_state *s, int edge, int64_t at)
{
  int mode = s->params.mode, off;
  const struct pps_ktime *o = edge == PPS_CAPTUREASSERT ? &s->params.assert_off_tu
                                                          : &s->params.clear_off_tu;
  s->current_mode = mode;
  if (!(mode & edge))
    return;
  off = edge == PPS_CAPTUREASSERT ? PPS_OFFSETASSERT : PPS_OFFSETCLEAR;
  if (mode & off)
    at += o->sec * NS_PER_SEC + o->nsec;
  if (edge == PPS_CAPTUREASSERT) {
    to_ktime(at, &s->atu);
    s->aseq++;
  } else {
    to_ktime(at, &s->ctu);
    s->cseq++;
  }
  s->last_ev++;
}

/* Processes, in time order, every edge due by now. A pending assert edge that was drawn
   with other offset/jitter/miss parameters is drawn again: new edges follow new values. */
static void pps_advance(struct fake_dev *d)
{
  struct pps_state *s = &d->pps;
  int64_t now = clock_ns(CLOCK_REALTIME);
  if (!s->started)
    pps_start(d);
  if (s->pending && (s->sched_off != d->p.offset_ns || s->sched_jit != d->p.jitter_ns ||
                     s->sched_miss != d->p.miss_every))
    s->pending = 0;
  for (;;) {
    if (!s->pending)
      pps_schedule(d);
    if (s->clear_at <= s->next_at && s->clear_at <= now) {
      pps_edge(s, PPS_CAPTURECLEAR, s->clear_at);
      s->clear_at = INT64_MAX;
      continue;
    }
    if (s->next_at > now) {
      s->checked = now;
      return;
    }
    pps_edge(s, PPS_CAPTUREASSERT, s->next_at); /* a clear still pending (jitter) is lost */
    s->last_at = s->next_at;
    s->last_k = s->next_k;
    s->clear_at = s->next_at + d->p.width_ns;
    s->pending = 0;
  }
}

/* pps_cdev_pps_fetch(): waits for the next captured edge, in slices of at most 100 ms so
   that ctl-file changes (.gone included) are noticed while blocked. */
static int pps_wait(struct fake_dev *d, int fd, const struct pps_ktime *to)
{
  struct pps_state *s = &d->pps;
  unsigned ev = s->last_ev;
  int64_t deadline = INT64_MAX, until;
  struct timespec ts;
  int live, r;
  if (!(to->flags & PPS_TIME_INVALID)) {
    if (to->sec < 0)
      return fail(ETIMEDOUT);
    if (!to->sec && to->nsec <= 0)
      return 0;
    if (to->sec < INT32_MAX)
      deadline = clock_ns(CLOCK_REALTIME) + to->sec * NS_PER_SEC + to->nsec;
  }
  if (!(d->p.caps & PPS_CANWAIT))
    return 0;
  for (;;) {
    until = s->next_at < s->clear_at ? s->next_at : s->clear_at;
    if (until > deadline)
      until = deadline;
    if (until - clock_ns(CLOCK_REALTIME) > NS_PER_SEC / 10)
      until = clock_ns(CLOCK_REALTIME) + NS_PER_SEC / 10;
    ts.tv_sec = (time_t)ns_sec(until);
    ts.tv_nsec = (long)(until - ns_sec(until) * NS_PER_SEC);
    if ((r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL)))
      return fail(r); /* EINTR, as the kernel returns for a signal */
    if (!fd_dev(fd, &live) || !live)
      return fail(ENODEV);
    pps_advance(d);
    if (s->last_ev != ev)
      return 0;
    if (clock_ns(CLOCK_REALTIME) >= deadline)
      return fail(ETIMEDOUT);
  }
}

static int pps_ioctl(struct fake_dev *d, int fd, unsigned int req, void *arg)
{
  struct pps_state *s = &d->pps;
  struct pps_kparams *kp = arg;
  struct pps_fdata *fd_data = arg;
  int mode;
  switch (req) {
  case PPS_GETPARAMS: case PPS_SETPARAMS: case PPS_GETCAP: case PPS_FETCH: break;
  case PPS_KC_BIND: return fail(EOPNOTSUPP); /* no kernel consumer (hardpps) emulated */
  default: return fail(ENOTTY);
  }
  pps_advance(d); /* edges so far were captured with the parameters of their time */
  if (req == PPS_SETPARAMS && d->p.setparams_eperm) /* checked first, as CAP_SYS_TIME is */
    return fail(EPERM);
  if (!arg)
    return fail(EFAULT);
  switch (req) {
  case PPS_GETPARAMS:
    *kp = s->params;
    return 0;
  case PPS_SETPARAMS:
    mode = kp->mode;
    if (!(mode & PPS_CAPTUREBOTH) || (mode & ~(int)d->p.caps))
      return fail(EINVAL);
    s->params = *kp;
    if (!(mode & (PPS_TSFMT_TSPEC | PPS_TSFMT_NTPFP)))
      s->params.mode |= PPS_TSFMT_TSPEC;
    if (d->p.caps & PPS_CANWAIT)
      s->params.mode |= PPS_CANWAIT;
    s->params.api_version = PPS_API_VERS;
    s->params.assert_off_tu.flags = 0;
    s->params.clear_off_tu.flags = 0;
    return 0;
  case PPS_GETCAP:
    *(int *)arg = (int)d->p.caps;
    return 0;
  default: /* PPS_FETCH */
    if (pps_wait(d, fd, &fd_data->timeout))
      return -1;
    fd_data->info.assert_sequence = s->aseq;
    fd_data->info.clear_sequence = s->cseq;
    fd_data->info.assert_tu = s->atu;
    fd_data->info.clear_tu = s->ctu;
    fd_data->info.current_mode = s->current_mode;
    return 0;
  }
}

/* ---- ioctl */

/* Answers ETHTOOL_GET_TS_INFO for an interface named in FAKEDEV_IFACES; 1: not ours. */
static int fake_ethtool(struct ifreq *ifr)
{
  for (int i = 0; i < nifaces; i++) {
    struct ethtool_ts_info *info = (struct ethtool_ts_info *)ifr->ifr_data;
    if (strncmp(ifr->ifr_name, ifaces[i].name, IFNAMSIZ))
      continue;
    if (!info || info->cmd != ETHTOOL_GET_TS_INFO)
      return 1;
    memset(info, 0, sizeof(*info));
    info->cmd = ETHTOOL_GET_TS_INFO;
    info->so_timestamping = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_TX_SOFTWARE |
                            SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
                            SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
    info->phc_index = ifaces[i].index;
    info->tx_types = (1u << HWTSTAMP_TX_OFF) | (1u << HWTSTAMP_TX_ON);
    info->rx_filters = (1u << HWTSTAMP_FILTER_NONE) | (1u << HWTSTAMP_FILTER_ALL);
    return 0;
  }
  return 1;
}

int ioctl(int fd, unsigned long request, ...)
{
  struct fake_dev *d;
  va_list ap;
  int live;
  va_start(ap, request);
  void *arg = va_arg(ap, void *); /* every ioctl passes at most one word */
  va_end(ap);
  init();
  if ((d = fd_dev(fd, &live)))
    return live ? d->kind->ioctl(d, fd, (unsigned int)request, arg) : fail(ENODEV);
  if ((unsigned int)request == SIOCETHTOOL && nifaces && arg && !fake_ethtool(arg))
    return 0;
  return REAL(ioctl)(fd, request, arg);
}

/* ---- POSIX clock calls: only the dynamic clock ids of emulated fds are ours. */

int clock_gettime(clockid_t clk, struct timespec *ts)
{
  int live;
  struct fake_dev *d = clock_dev(clk, &live);
  if (!d)
    return REAL(clock_gettime)(clk, ts);
  return live ? d->kind->clock_gettime(d, ts) : fail(ENODEV);
}

int clock_getres(clockid_t clk, struct timespec *res)
{
  int live;
  struct fake_dev *d = clock_dev(clk, &live);
  if (!d)
    return REAL(clock_getres)(clk, res);
  if (!live)
    return fail(ENODEV);
  if (res)
    *res = (struct timespec){.tv_sec = 0, .tv_nsec = 1};
  return 0;
}

/* Read-only queries succeed; this fake never lets anything steer it. */
int clock_adjtime(clockid_t clk, struct timex *tx)
{
  int live;
  struct fake_dev *d = clock_dev(clk, &live);
  if (!d)
    return REAL(clock_adjtime)(clk, tx);
  if (!live)
    return fail(ENODEV);
  if (tx->modes)
    return fail(EPERM);
  tx->freq = 0;
  return TIME_OK;
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
  int live;
  struct fake_dev *d = clock_dev(clk, &live);
  if (!d)
    return REAL(clock_settime)(clk, ts);
  return fail(live ? EPERM : ENODEV);
}
