/* The wire format of chrony's SOCK refclock, also read by ntpd-rs "sock" sources: one native
   struct per datagram. Defined once here. */
#ifndef RB_SOCK_SAMPLE_H
#define RB_SOCK_SAMPLE_H

#include <stddef.h>
#include <sys/time.h>

#define SOCK_SAMPLE_MAGIC 0x534f434b /* "SOCK" */

struct sock_sample {
  struct timeval tv; /* system time of the measurement */
  double offset;     /* true time minus system time, seconds (pulse == 0) */
  int pulse;         /* always 0 here: full time, never a bare pulse */
  int leap;          /* 0 none, 1 insert, 2 delete */
  int _pad;
  int magic;
};

#if defined(__LP64__) || (defined(__TIMESIZE) && __TIMESIZE == 64) || (defined(_TIME_BITS) && _TIME_BITS == 64)
/* 64-bit time_t: x86_64, aarch64, and 32-bit builds with 64-bit time. */
_Static_assert(sizeof(struct sock_sample) == 40, "sock_sample is 40 bytes with 64-bit time_t");
_Static_assert(offsetof(struct sock_sample, offset) == 16, "offset at 16");
_Static_assert(offsetof(struct sock_sample, pulse) == 24, "pulse at 24");
_Static_assert(offsetof(struct sock_sample, leap) == 28, "leap at 28");
_Static_assert(offsetof(struct sock_sample, magic) == 36, "magic at 36");
#else
/* 32-bit time_t (bookworm armhf, i386): chrony 4.3 accepts exactly this size. */
_Static_assert(sizeof(struct sock_sample) == 32, "sock_sample is 32 bytes with 32-bit time_t");
_Static_assert(offsetof(struct sock_sample, offset) == 8, "offset at 8");
_Static_assert(offsetof(struct sock_sample, pulse) == 16, "pulse at 16");
_Static_assert(offsetof(struct sock_sample, leap) == 20, "leap at 20");
_Static_assert(offsetof(struct sock_sample, magic) == 28, "magic at 28");
#endif

/* Fills a full-time sample: tv is the system time truncated (never rounded) to microseconds,
   and offset is the measured true-minus-system offset, which holds at that truncated tv too,
   so the nanoseconds of the measurement survive. */
void sock_sample_fill(struct sock_sample *s, long long sys_ns, long long ref_ns, int leap);

#endif
