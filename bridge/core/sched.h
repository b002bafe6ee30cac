/* The event loop: sd-event with monotonic timers and fd watches. Single-threaded. */
#ifndef RB_SCHED_H
#define RB_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

int sched_init(void);
void sched_fini(void);
sd_event *sched_event(void);
/* Runs until sched_quit(); returns the exit code given there. */
int sched_run(void);
void sched_quit(int code);
/* True while the loop runs and is not exiting: later callbacks will still be dispatched. */
bool sched_running(void);

typedef void (*sched_timer_fn)(void *arg);
struct sched_timer;

struct sched_timer *sched_timer_new(sched_timer_fn fn, void *arg);
/* One-shot, CLOCK_MONOTONIC, at an absolute time or after a delay. Re-arming replaces. */
void sched_timer_at(struct sched_timer *t, int64_t mono_ns);
void sched_timer_after(struct sched_timer *t, int64_t delay_ns);
void sched_timer_stop(struct sched_timer *t);
void sched_timer_free(struct sched_timer *t);

/* A fixed-rate timer that the kernel re-arms (a periodic timerfd): the cheapest wake-up for
   per-sample polling. The callback gets the number of periods elapsed (more than 1 if late). */
typedef void (*sched_periodic_fn)(void *arg, uint64_t periods);
struct sched_periodic;

struct sched_periodic *sched_periodic_new(int64_t first_mono_ns, int64_t interval_ns,
                                          sched_periodic_fn fn, void *arg);
void sched_periodic_free(struct sched_periodic *t);

/* Periodic callbacks that share one periodic timer per interval, called in the order they
   joined: sixteen sources polling at the same interval cost one wake-up, not sixteen. A new
   member is first called at the group's next tick. A member may leave from any callback. */
struct sched_tick;

struct sched_tick *sched_tick_join(int64_t interval_ns, sched_periodic_fn fn, void *arg);
void sched_tick_leave(struct sched_tick *m);

typedef void (*sched_fd_fn)(void *arg, uint32_t revents);
struct sched_fd;

struct sched_fd *sched_fd_new(int fd, uint32_t events, sched_fd_fn fn, void *arg);
void sched_fd_free(struct sched_fd *w);

#endif
