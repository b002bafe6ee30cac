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

/* 40 bytes with 64-bit time_t (x86_64, aarch64, 32-bit builds with _TIME_BITS=64); 32 with
   32-bit time_t (bookworm armhf and i386), the only size chrony 4.3 accepts there. */
#define SOCK_TV (sizeof(time_t) == 8 ? 16 : 8)
_Static_assert(sizeof(struct sock_sample) == SOCK_TV + 24, "sock_sample size for this ABI");
_Static_assert(offsetof(struct sock_sample, offset) == SOCK_TV, "offset follows tv");
_Static_assert(offsetof(struct sock_sample, pulse) == SOCK_TV + 8, "pulse");
_Static_assert(offsetof(struct sock_sample, leap) == SOCK_TV + 12, "leap");
_Static_assert(offsetof(struct sock_sample, magic) == SOCK_TV + 20, "magic last");

/* Fills a full-time sample: tv is the system time truncated (never rounded) to microseconds,
   and offset is the measured true-minus-system offset, which holds at that truncated tv too,
   so the nanoseconds of the measurement survive. */
void sock_sample_fill(struct sock_sample *s, long long sys_ns, long long ref_ns, int leap);

#endif
