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

/* 96 bytes on LP64 and on 32-bit ABIs with 64-bit, 8-byte-aligned time_t (armhf); 80 with
   32-bit time_t; 88 on i386 with 64-bit time_t (4-byte alignment). Readers and writers must
   agree, so the size is asserted for every ABI. */
#define SHM_TIME_SIZE (sizeof(time_t) == 4 ? 80 : _Alignof(time_t) == 8 ? 96 : 88)
_Static_assert(sizeof(struct shm_time) == SHM_TIME_SIZE, "struct shmTime size for this ABI");
_Static_assert(offsetof(struct shm_time, clockTimeStampSec) == 8, "clock seconds at 8");
_Static_assert(offsetof(struct shm_time, valid) ==
                   (sizeof(time_t) == 4 ? 36 : _Alignof(time_t) == 8 ? 48 : 44),
               "valid after the stamps");

static inline int shm_time_key(int unit)
{
  return SHM_TIME_KEY_BASE + unit;
}

/* Writes one sample with the mode-1 handshake and real fences. ref_ns is the true time that
   held at system time sys_ns. */
void shm_time_write(struct shm_time *t, int64_t ref_ns, int64_t sys_ns, int leap, int precision);

#endif
