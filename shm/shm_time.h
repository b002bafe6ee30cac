/* The NTP SHM segment (ntpd refclock driver 28, also read by chrony): layout, key and the
   writer side of the mode-1 count/valid handshake. Defined once here. */
#ifndef RB_SHM_TIME_H
#define RB_SHM_TIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SHM_TIME_KEY_BASE 0x4E545030 /* "NTP0" */
#define SHM_TIME_LEAP_NOTINSYNC 3

struct shm_time {
  int mode;           /* 1: count/valid handshake */
  volatile int count; /* bumped before and after each write */
  time_t clockTimeStampSec; /* true time */
  int clockTimeStampUSec;   /* truncation of clockTimeStampNSec / 1000 */
  time_t receiveTimeStampSec; /* system time at which the true time held */
  int receiveTimeStampUSec;
  int leap;
  int precision;
  int nsamples;
  volatile int valid;
  unsigned clockTimeStampNSec;
  unsigned receiveTimeStampNSec;
  int dummy[8];
};

#if defined(__LP64__)
_Static_assert(sizeof(struct shm_time) == 96, "shmTime is 96 bytes on LP64");
_Static_assert(offsetof(struct shm_time, receiveTimeStampSec) == 24, "receive at 24");
_Static_assert(offsetof(struct shm_time, valid) == 48, "valid at 48");
_Static_assert(offsetof(struct shm_time, clockTimeStampNSec) == 52, "clock nsec at 52");
#elif !defined(__TIMESIZE) || __TIMESIZE == 32
_Static_assert(sizeof(struct shm_time) == 80, "shmTime is 80 bytes with 32-bit time_t");
_Static_assert(offsetof(struct shm_time, valid) == 36, "valid at 36");
#endif

static inline int shm_time_key(int unit)
{
  return SHM_TIME_KEY_BASE + unit;
}

/* Writes one sample with the mode-1 handshake and real fences. ref_ns is the true time that
   held at system time sys_ns. */
void shm_time_write(struct shm_time *t, int64_t ref_ns, int64_t sys_ns, int leap, int precision);

#endif
