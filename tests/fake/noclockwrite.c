/* LD_PRELOAD shim for running a time daemon (ntpd-rs) in tests without steering any clock.
 *
 * Every call that could set or adjust a clock is turned into the matching read: the caller
 * gets the clock's current state and success, and no write ever reaches the kernel. ntpd-rs
 * needs this because it calls ntp_adjtime() (ADJ_STATUS) as soon as a source is created and
 * exits when that fails; dropping CAP_SYS_TIME alone makes it fail. Run it with both:
 *   setpriv --bounding-set -sys_time -- env LD_PRELOAD=.../libnoclockwrite.so ntp-daemon ...
 *
 * Covered: ntp_adjtime, adjtimex, __adjtimex, clock_adjtime, adjtime, clock_settime,
 * settimeofday, stime, and syscall() with the numbers of the system calls behind them. Each
 * turned call is logged once per function to stderr ("noclockwrite: ..."), so a test can see
 * the shim was in place.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

enum { F_NTP_ADJTIME, F_ADJTIMEX, F_CLOCK_ADJTIME, F_ADJTIME, F_CLOCK_SETTIME,
       F_SETTIMEOFDAY, F_STIME, F_SYSCALL, F_COUNT };
static const char *const fname[F_COUNT] = {
  "ntp_adjtime", "adjtimex", "clock_adjtime", "adjtime", "clock_settime", "settimeofday",
  "stime", "syscall"
};
static int logged[F_COUNT];

/* Once per function: the daemon may call these every second. */
static void note(int f, const char *what, long arg)
{
  if (logged[f])
    return;
  logged[f] = 1;
  fprintf(stderr, "noclockwrite: %s(%s 0x%lx) turned into a read (further ones not logged)\n",
          fname[f], what, arg);
}

typedef long (*syscall_fn)(long, ...);

/* libc's syscall(): every read below goes straight to the kernel through it, so nothing here
 * depends on which libc entry points exist or are interposed. */
static syscall_fn real_syscall(void)
{
  static syscall_fn next;

  if (!next)
    next = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
  return next;
}

static long kernel(long nr, long a0, long a1)
{
  syscall_fn next = real_syscall();

  if (!next) {
    errno = ENOSYS;
    return -1;
  }
  return next(nr, a0, a1);
}

static long read_timex(clockid_t id, struct timex *tx)
{
  struct timex r;
  long rc;

  memset(&r, 0, sizeof r); /* modes 0: a read */
  rc = kernel(SYS_clock_adjtime, id, (long)&r);
  if (rc >= 0 && tx)
    *tx = r;
  return rc;
}

/* A timex call: read when modes is 0, otherwise read instead (and say so once). */
static long timex_call(int f, clockid_t id, struct timex *tx)
{
  if (!tx) {
    errno = EFAULT;
    return -1;
  }
  if (tx->modes != 0)
    note(f, "modes", (long)tx->modes);
  return read_timex(id, tx);
}

int ntp_adjtime(struct timex *tx) { return (int)timex_call(F_NTP_ADJTIME, CLOCK_REALTIME, tx); }
int adjtimex(struct timex *tx) { return (int)timex_call(F_ADJTIMEX, CLOCK_REALTIME, tx); }
int __adjtimex(struct timex *tx);
int __adjtimex(struct timex *tx) { return (int)timex_call(F_ADJTIMEX, CLOCK_REALTIME, tx); }
int clock_adjtime(clockid_t id, struct timex *tx) { return (int)timex_call(F_CLOCK_ADJTIME, id, tx); }

/* BSD adjtime(): a non-NULL delta starts a slew; report the remaining one instead. */
int adjtime(const struct timeval *delta, struct timeval *olddelta)
{
  struct timex r;

  if (delta)
    note(F_ADJTIME, "delta.tv_sec", (long)delta->tv_sec);
  if (read_timex(CLOCK_REALTIME, &r) < 0)
    return -1;
  if (olddelta) {
    /* ADJ_OFFSET_SS_READ is what glibc uses; offset 0 is an honest "no slew in progress"
     * answer for a clock this process has never adjusted. */
    olddelta->tv_sec = 0;
    olddelta->tv_usec = 0;
  }
  return 0;
}

int clock_settime(clockid_t id, const struct timespec *ts)
{
  struct timespec now;

  note(F_CLOCK_SETTIME, "clock", (long)id);
  (void)ts;
  return kernel(SYS_clock_gettime, id, (long)&now) < 0 ? -1 : 0;
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
  struct timespec now;

  note(F_SETTIMEOFDAY, tv ? "tv_sec" : "tz only", tv ? (long)tv->tv_sec : 0);
  (void)tz;
  return kernel(SYS_clock_gettime, CLOCK_REALTIME, (long)&now) < 0 ? -1 : 0;
}

int stime(const time_t *t);
int stime(const time_t *t)
{
  note(F_STIME, "t", t ? (long)*t : 0);
  return 0;
}

/* syscall(): the clock-writing numbers become reads; every other call is passed on whole
 * (six register arguments, as the kernel ABI has). */
long syscall(long nr, ...)
{
  syscall_fn next = real_syscall();
  struct timespec now;
  struct timex *tx;
  long a[6];
  va_list ap;
  int i;

  va_start(ap, nr);
  for (i = 0; i < 6; i++)
    a[i] = va_arg(ap, long);
  va_end(ap);

  switch (nr) {
  case SYS_clock_adjtime:
  case SYS_adjtimex:
    tx = (struct timex *)(nr == SYS_adjtimex ? a[0] : a[1]);
    if (tx && tx->modes != 0) {
      note(F_SYSCALL, nr == SYS_adjtimex ? "SYS_adjtimex modes" : "SYS_clock_adjtime modes",
           (long)tx->modes);
      return read_timex(nr == SYS_adjtimex ? CLOCK_REALTIME : (clockid_t)a[0], tx);
    }
    break;
  case SYS_clock_settime:
    note(F_SYSCALL, "SYS_clock_settime clock", a[0]);
    return kernel(SYS_clock_gettime, a[0], (long)&now);
  case SYS_settimeofday:
    note(F_SYSCALL, "SYS_settimeofday", 0);
    return kernel(SYS_clock_gettime, CLOCK_REALTIME, (long)&now);
  default:
    break;
  }
  if (!next) {
    errno = ENOSYS;
    return -1;
  }
  return next(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
