/* The fallback instances: watch trackers and sources, decide through fallback_fsm, and bring
   the actions (unit, marker, hook) to the decided mode one after the other, retrying what
   failed with backoff. Every decision is logged with its reason and kept for the status model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge/control/fallback.h"
#include "bridge/control/fallback_action.h"
#include "bridge/core/instance.h"
#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/source.h"
#include "bridge/core/util.h"
#include "ptpstate/tracker.h"

/* Sources and port states have no watch: they are read this often (and on every tracker
   transition). A port that becomes SLAVE hands the clock back to phc2sys -a at once. */
#define POLL_NS (NS_PER_SEC / 10)

const struct conf_key fallback_keys[] = {
  {.name = "trackers", .type = CONF_REFS, .ref_kind = "tracker"},
  {.name = "sources", .type = CONF_REFS, .ref_kind = "source"},
  {.name = "holdover_is_loss", .type = CONF_BOOL, .def = "no"},
  {.name = "enter_after", .type = CONF_DOUBLE, .def = "2", .min = 0, .max = 3600},
  {.name = "exit_after", .type = CONF_DOUBLE, .def = "60", .min = 0, .max = 86400},
  {.name = "min_interval", .type = CONF_DOUBLE, .def = "10", .min = 0, .max = 86400},
  {.name = "unit", .type = CONF_STRING, .def = "chronyd.service", .max = 255},
  {.name = "exclusive_units", .type = CONF_STRING, .max = 2100},
  {.name = "unit_timeout", .type = CONF_DOUBLE, .def = "30", .min = 1, .max = 600},
  {.name = "marker", .type = CONF_PATH, .max = 1000},
  {.name = "hook", .type = CONF_STRING, .max = 4000},
  {.name = "hook_timeout", .type = CONF_DOUBLE, .def = "10", .min = 0.1, .max = 600},
  {.name = "phc2sys_auto", .type = CONF_BOOL, .def = "no"},
  {.name = "phc2sys_wait", .type = CONF_DOUBLE, .def = "30", .min = 0, .max = 86400},
  {0},
};

/* Order of application when entering NTP; leaving runs unit first (NTP stops before anything
   says PTP is good). */
static const struct fallback_action_ops *const action_drivers[FALLBACK_ACTIONS_MAX] = {
  &fallback_marker_ops,
  &fallback_unit_ops,
  &fallback_hook_ops,
};

bool fallback_check(const struct conf_section *s)
{
  const char *const *names;

  if (conf_refs(s, "trackers", &names) == 0 && conf_refs(s, "sources", &names) == 0) {
    conf_fail(s, "trackers", "a fallback needs trackers or sources to watch");
    return false;
  }
  if (conf_bool(s, "phc2sys_auto") && conf_refs(s, "trackers", &names) == 0) {
    conf_fail(s, "phc2sys_auto", "needs trackers: phc2sys -a follows their port states");
    return false;
  }
  if (conf_is_set(s, "phc2sys_wait") && !conf_bool(s, "phc2sys_auto")) {
    conf_fail(s, "phc2sys_wait", "only applies with phc2sys_auto = yes");
    return false;
  }
  for (size_t i = 0; i < FALLBACK_ACTIONS_MAX; i++)
    if (action_drivers[i]->check && !action_drivers[i]->check(s))
      return false;
  return true;
}

struct fallback;

struct action {
  struct fallback *owner;
  const struct fallback_action_ops *ops;
  void *priv;
  enum fallback_mode applied;  /* FALLBACK_START: not yet */
  enum fallback_mode applying; /* what the running apply brings it to */
  bool ok, busy;
  uint64_t applied_count, failures;
  char last_error[REPORT_TEXT_MAX];
  int64_t last_error_ns;
};

struct fallback {
  struct instance inst;
  char **trackers, **sources;
  size_t n_trackers, n_sources;
  bool *was_slave;      /* per tracker: its port was SLAVE when last known */
  int64_t *gone_since;  /* per tracker: CLOCK_MONOTONIC since it is UNKNOWN, 0 if it is not */
  int64_t *uncal_since; /* per tracker: since its port is UNCALIBRATED, 0 if it is not */
  int64_t phc2sys_wait_ns;
  bool holdover_is_loss;
  struct fallback_fsm fsm;
  struct fallback_fsm_config fsm_cfg;
  bool ready; /* day 0 probed, deciding */
  struct action actions[FALLBACK_ACTIONS_MAX];
  size_t n_actions;
  /* The executor: brings the actions to target, one after the other. */
  bool running, again;
  enum fallback_mode target;
  char target_reason[REPORT_TEXT_MAX];
  enum fallback_mode target_from;
  size_t order[FALLBACK_ACTIONS_MAX], n_order, next;
  bool any_failed;
  struct sched_timer *step_timer, *retry_timer;
  struct sched_tick *poll;
  /* For the status model. */
  bool good;
  char loss[128], last_reason[REPORT_TEXT_MAX];
  int64_t since_ns, wait_until_mono_ns;
  uint64_t transitions_total[3][FALLBACK_REASONS], refused;
  /* safe-state: quit the loop when done */
  bool safe_state;
};

static struct instance *fallback_alloc(void);
static void fallback_create(struct instance *i, const struct conf_section *s);
static void fallback_start(struct instance *i);
static void fallback_destroy(struct instance *i);

static const struct instance_kind fallback_kind = {
  .section = "fallback",
  .alloc = fallback_alloc,
  .create = fallback_create,
  .start = fallback_start,
  .destroy = fallback_destroy,
};

static struct instances fallbacks = INSTANCES_INIT(&fallback_kind);
static size_t safe_state_pending;

static struct fallback *of(struct instance *i)
{
  return container_of(i, struct fallback, inst);
}

/* -------- inputs -------- */

/* phc2sys -a steers the system clock from a PHC while its port is SLAVE, and from no other
   state: seen with linuxptp 3.1 and 4.2 (tests/system/61). UNCALIBRATED is the step before
   SLAVE: NTP stops there already, so that phc2sys finds it stopped. */
static bool port_is(const char *port, const char *state)
{
  return port && strcasecmp(port, state) == 0;
}

/* What phc2sys -a does with tracker i's port (*claim: 0 nothing, 1 UNCALIBRATED, 2 SLAVE),
   and whether NTP must hold off for it: while the port is SLAVE, while it is UNCALIBRATED for
   less than phc2sys_wait (SLAVE may follow at any moment), and while ptp4l is gone for less
   than phc2sys_wait after a SLAVE port (phc2sys keeps its last port state: linuxptp 4.x gives
   up after 20-30 s, 3.x never). */
static bool hold_off_for(struct fallback *f, size_t i, const struct tracker *t, int64_t now,
                         int *claim)
{
  bool slave, uncalibrated;
  const char *port;

  *claim = 0;
  if (!t || tracker_state(t) == TRACKER_UNKNOWN) {
    if (!f->gone_since[i])
      f->gone_since[i] = now;
    f->uncal_since[i] = 0;
    return f->was_slave[i] && now - f->gone_since[i] < f->phc2sys_wait_ns;
  }
  port = tracker_port_state(t);
  slave = port_is(port, "SLAVE");
  uncalibrated = port_is(port, "UNCALIBRATED");
  f->was_slave[i] = slave;
  f->gone_since[i] = 0;
  if (!uncalibrated)
    f->uncal_since[i] = 0;
  else if (!f->uncal_since[i])
    f->uncal_since[i] = now;
  *claim = slave ? 2 : uncalibrated ? 1 : 0;
  return slave || (uncalibrated && now - f->uncal_since[i] < f->phc2sys_wait_ns);
}

/* Whether everything watched is good; the first thing that is not goes into f->loss. */
static bool evaluate(struct fallback *f, int64_t now, bool *hold_off, int *claim)
{
  bool good = true;

  f->loss[0] = 0;
  *hold_off = false;
  *claim = 0;
  for (size_t i = 0; i < f->n_trackers; i++) {
    struct tracker *t = tracker_find(f->trackers[i]);
    enum tracker_state st = t ? tracker_state(t) : TRACKER_UNKNOWN;
    bool ok = st == TRACKER_LOCKED || (st == TRACKER_HOLDOVER && !f->holdover_is_loss);
    int c = 0;
    if (f->fsm_cfg.phc2sys_auto && hold_off_for(f, i, t, now, &c))
      *hold_off = true;
    if (c > *claim)
      *claim = c;
    if (!ok && good)
      snprintf(f->loss, sizeof(f->loss), "tracker %s %s", f->trackers[i], tracker_state_name(st));
    good &= ok;
  }
  for (size_t i = 0; i < f->n_sources; i++) {
    struct source *src = source_find(f->sources[i]);
    enum source_state st = src ? source_state(src) : SOURCE_NO_DATA;
    if (st != SOURCE_OK && good)
      snprintf(f->loss, sizeof(f->loss), "source %s %s", f->sources[i], source_state_name(st));
    good &= st == SOURCE_OK;
  }
  return good;
}

/* -------- the executor -------- */

static void run_next(struct fallback *f);

static void execute(struct fallback *f, enum fallback_mode from, enum fallback_mode to,
                    const char *reason)
{
  f->target = to;
  f->target_from = from;
  report_copy(f->target_reason, sizeof(f->target_reason), reason);
  if (f->running) {
    f->again = true; /* after the action running now */
    return;
  }
  sched_timer_stop(f->retry_timer);
  f->running = true;
  f->any_failed = false;
  f->n_order = f->next = 0;
  /* Leaving NTP: the unit first, so that NTP has stopped before the marker says PTP is good. */
  if (to == FALLBACK_PTP)
    for (size_t i = 0; i < f->n_actions; i++)
      if (f->actions[i].ops == &fallback_unit_ops)
        f->order[f->n_order++] = i;
  for (size_t i = 0; i < f->n_actions; i++)
    if (to != FALLBACK_PTP || f->actions[i].ops != &fallback_unit_ops)
      f->order[f->n_order++] = i;
  run_next(f);
}

static void action_done(void *ctx, bool ok, const char *error);

static void finished(struct fallback *f)
{
  f->running = false;
  if (f->again) {
    f->again = false;
    execute(f, f->target_from, f->target, f->target_reason);
    return;
  }
  if (f->safe_state) {
    /* Once, no retries: systemd runs ExecStopPost= under a timeout. */
    if (--safe_state_pending == 0)
      sched_quit(0);
    return;
  }
  if (f->any_failed) {
    int64_t delay = health_down(&f->inst.health, "%s", f->inst.health.last_error);
    sched_timer_after(f->retry_timer, delay);
  } else {
    health_up(&f->inst.health, "%s mode applied", f->target == FALLBACK_NTP ? "NTP" : "PTP");
  }
}

static void run_next(struct fallback *f)
{
  while (f->next < f->n_order) {
    struct action *a = &f->actions[f->order[f->next]];
    struct fallback_change ch = {f->inst.name, f->target_from, f->target, f->target_reason};
    /* Done already: a retry reruns only what failed (a failed hook counts as done). */
    if (a->applied == f->target) {
      f->next++;
      continue;
    }
    a->busy = true;
    a->applying = f->target;
    report_changed();
    a->ops->apply(a->priv, &ch, action_done, a);
    return;
  }
  finished(f);
}

static void action_done(void *ctx, bool ok, const char *error)
{
  struct action *a = ctx;
  struct fallback *f = a->owner;

  a->busy = false;
  a->ok = ok;
  a->applied_count++;
  if (ok || !a->ops->retried)
    a->applied = a->applying;
  if (!ok) {
    a->failures++;
    a->last_error_ns = realtime_ns();
    report_copy(a->last_error, sizeof(a->last_error), error);
    health_error(&f->inst.health, "%s: %s", a->ops->kind, error);
    if (a->ops->retried)
      f->any_failed = true;
    else
      log_warn("fallback %s: %s", f->inst.name, error);
  }
  report_changed();
  f->next++;
  /* A newer decision waits for the running action only, not the rest of the old one:
     finished() starts it. */
  if (f->again)
    finished(f);
  else
    run_next(f);
}

static void retry(void *arg)
{
  struct fallback *f = arg;

  execute(f, f->target_from, f->target, f->target_reason);
}

/* -------- decisions -------- */

static void step(struct fallback *f);

static void on_step_timer(void *arg)
{
  step(arg);
}

static const char *reason_text(const struct fallback *f, enum fallback_reason r, char *buf,
                               size_t len)
{
  switch (r) {
  case FALLBACK_REASON_LOSS:
    snprintf(buf, len, "PTP lost for %.3g s: %s",
             (double)(monotonic_ns() - f->fsm.good_changed_ns) / 1e9, f->loss);
    break;
  case FALLBACK_REASON_RECOVERED:
    snprintf(buf, len, "PTP good for %.3g s",
             (double)(monotonic_ns() - f->fsm.good_changed_ns) / 1e9);
    break;
  case FALLBACK_REASON_PHC2SYS:
    snprintf(buf, len, "phc2sys -a takes the clock back (a port is UNCALIBRATED or SLAVE): NTP "
                       "must stop");
    break;
  case FALLBACK_REASON_DAY0:
    snprintf(buf, len, "NTP was running at start: it stays until PTP is good for %.3g s",
             (double)f->fsm_cfg.exit_after_ns / 1e9);
    break;
  default:
    snprintf(buf, len, "PTP good at start");
    break;
  }
  return buf;
}

static void log_wait(struct fallback *f, const struct fallback_step *st, int64_t now)
{
  double left = st->next_ns == FALLBACK_NEVER ? -1 : (double)(st->next_ns - now) / 1e9;

  switch (st->wait) {
  case FALLBACK_WAIT_ENTER_AFTER:
    log_notice("fallback %s: PTP lost (%s); NTP in %.3g s unless it recovers (enter_after)",
               f->inst.name, f->loss, left);
    break;
  case FALLBACK_WAIT_EXIT_AFTER:
    log_notice("fallback %s: PTP good again; NTP stops after %.3g s more of it (exit_after)",
               f->inst.name, left);
    break;
  case FALLBACK_WAIT_MIN_INTERVAL:
    f->refused++;
    log_notice("fallback %s: toggle to %s refused for %.3g s more: the last was less than %.3g s "
               "ago (min_interval)", f->inst.name, f->good ? "PTP" : "NTP", left,
               (double)f->fsm_cfg.min_interval_ns / 1e9);
    break;
  case FALLBACK_WAIT_PHC2SYS:
    log_notice("fallback %s: PTP lost (%s) but phc2sys -a steers or may soon (a port SLAVE, or "
               "UNCALIBRATED or ptp4l gone for less than phc2sys_wait); NTP waits", f->inst.name,
               f->loss);
    break;
  case FALLBACK_WAIT_NONE:
    if (f->fsm.mode == FALLBACK_PTP)
      log_notice("fallback %s: PTP recovered; staying on PTP", f->inst.name);
    else if (f->fsm.mode == FALLBACK_NTP)
      log_notice("fallback %s: PTP lost again (%s); staying on NTP", f->inst.name, f->loss);
    break;
  }
}

static void step(struct fallback *f)
{
  int64_t now = monotonic_ns();
  struct fallback_step st;
  bool hold_off, good;
  int claim;

  if (!f->ready)
    return;
  {
    char before[sizeof(f->loss)];
    memcpy(before, f->loss, sizeof(before));
    good = evaluate(f, now, &hold_off, &claim);
    if (good != f->good || strcmp(before, f->loss) != 0)
      report_changed();
  }
  f->good = good;
  fallback_fsm_input(&f->fsm, now, good, hold_off, claim);
  fallback_fsm_step(&f->fsm, now, &st);
  if (st.toggled) {
    char why[REPORT_TEXT_MAX];
    reason_text(f, st.reason, why, sizeof(why));
    log_notice("fallback %s: %s -> %s: %s", f->inst.name, fallback_mode_name(st.from),
               fallback_mode_name(st.to), why);
    report_copy(f->last_reason, sizeof(f->last_reason), why);
    f->transitions_total[st.to][st.reason]++;
    f->since_ns = realtime_ns();
    report_changed();
    execute(f, st.from, st.to, why);
  } else if (st.wait_changed) {
    log_wait(f, &st, now);
    report_changed();
  }
  f->wait_until_mono_ns = st.next_ns == FALLBACK_NEVER ? 0 : st.next_ns;
  if (st.next_ns != FALLBACK_NEVER)
    sched_timer_at(f->step_timer, st.next_ns);
  else
    sched_timer_stop(f->step_timer);
}

static void on_tracker(void *arg, const struct tracker *t, enum tracker_state from,
                       enum tracker_state to, const char *reason)
{
  (void)t;
  (void)from;
  (void)to;
  (void)reason;
  step(arg);
}

static void on_poll(void *arg, uint64_t periods)
{
  (void)periods;
  step(arg);
}

/* Day 0: NTP found running stays until PTP proves good for exit_after. */
static void probed(void *ctx, bool ntp_on)
{
  struct fallback *f = ctx;
  char why[REPORT_TEXT_MAX];

  fallback_fsm_init(&f->fsm, &f->fsm_cfg, monotonic_ns(), ntp_on);
  f->ready = true;
  f->since_ns = realtime_ns();
  if (ntp_on) {
    reason_text(f, FALLBACK_REASON_DAY0, why, sizeof(why));
    log_notice("fallback %s: start -> ntp: %s", f->inst.name, why);
    report_copy(f->last_reason, sizeof(f->last_reason), why);
    f->transitions_total[FALLBACK_NTP][FALLBACK_REASON_DAY0]++;
    /* Make sure of the rest of NTP's side: exclusive units stopped, marker gone. */
    execute(f, FALLBACK_START, FALLBACK_NTP, why);
  }
  report_changed();
  step(f);
}

/* -------- lifecycle -------- */

static struct instance *fallback_alloc(void)
{
  return &xnew(struct fallback)->inst;
}

static char **copy_refs(const struct conf_section *s, const char *key, size_t *n)
{
  const char *const *names;
  char **out;

  *n = conf_refs(s, key, &names);
  out = xnew_array(char *, *n + 1);
  for (size_t i = 0; i < *n; i++)
    out[i] = xstrdup(names[i]);
  return out;
}

static void fallback_create(struct instance *i, const struct conf_section *s)
{
  struct fallback *f = of(i);

  f->trackers = copy_refs(s, "trackers", &f->n_trackers);
  f->sources = copy_refs(s, "sources", &f->n_sources);
  f->holdover_is_loss = conf_bool(s, "holdover_is_loss");
  f->fsm_cfg.enter_after_ns = round_to_ns(conf_double(s, "enter_after"));
  f->fsm_cfg.exit_after_ns = round_to_ns(conf_double(s, "exit_after"));
  f->fsm_cfg.min_interval_ns = round_to_ns(conf_double(s, "min_interval"));
  f->fsm_cfg.phc2sys_auto = conf_bool(s, "phc2sys_auto");
  f->phc2sys_wait_ns = round_to_ns(conf_double(s, "phc2sys_wait"));
  f->was_slave = xnew_array(bool, f->n_trackers + 1);
  f->gone_since = xnew_array(int64_t, f->n_trackers + 1);
  f->uncal_since = xnew_array(int64_t, f->n_trackers + 1);
  for (size_t k = 0; k < FALLBACK_ACTIONS_MAX; k++) {
    void *priv = action_drivers[k]->create(s, i->name);
    if (priv)
      f->actions[f->n_actions++] =
          (struct action){.owner = f, .ops = action_drivers[k], .priv = priv};
  }
  f->step_timer = sched_timer_new(on_step_timer, f);
  f->retry_timer = sched_timer_new(retry, f);
  health_set_retry(&i->health, NS_PER_SEC, 30 * NS_PER_SEC);
}

static void fallback_start(struct instance *i)
{
  struct fallback *f = of(i);
  struct action *unit = NULL;

  for (size_t k = 0; k < f->n_trackers; k++)
    tracker_watch(f->trackers[k], on_tracker, f);
  f->poll = sched_tick_join(POLL_NS, on_poll, f);
  for (size_t k = 0; k < f->n_actions; k++)
    if (f->actions[k].ops->probe)
      unit = &f->actions[k];
  if (unit)
    unit->ops->probe(unit->priv, probed, f);
  else
    probed(f, false);
}

static void fallback_destroy(struct instance *i)
{
  struct fallback *f = of(i);

  for (size_t k = 0; k < f->n_trackers; k++)
    tracker_unwatch(f->trackers[k], on_tracker, f);
  if (f->poll)
    sched_tick_leave(f->poll);
  for (size_t k = 0; k < f->n_actions; k++)
    f->actions[k].ops->destroy(f->actions[k].priv);
  sched_timer_free(f->step_timer);
  sched_timer_free(f->retry_timer);
  for (size_t k = 0; k < f->n_trackers; k++)
    free(f->trackers[k]);
  for (size_t k = 0; k < f->n_sources; k++)
    free(f->sources[k]);
  free(f->trackers);
  free(f->sources);
  free(f->was_slave);
  free(f->gone_since);
  free(f->uncal_since);
}

void fallback_drop_changed(const struct conf *c)
{
  instances_drop_changed(&fallbacks, c);
}

void fallback_add_new(const struct conf *c)
{
  instances_add_new(&fallbacks, c);
}

void fallback_fini(void)
{
  instances_clear(&fallbacks);
}

/* -------- report -------- */

size_t fallback_count(void)
{
  return instances_count(&fallbacks);
}

void fallback_report(size_t i, struct fallback_report *r)
{
  struct fallback *f = of(instances_at(&fallbacks, i));
  int64_t mono = monotonic_ns();

  memset(r, 0, sizeof(*r));
  r->name = f->inst.name;
  r->mode = f->ready ? f->fsm.mode : FALLBACK_START;
  r->since_ns = f->since_ns;
  r->ptp_good = f->good;
  report_copy(r->loss, sizeof(r->loss), f->good ? "" : f->loss);
  r->wait = f->ready ? f->fsm.wait : FALLBACK_WAIT_NONE;
  if (f->wait_until_mono_ns && r->wait != FALLBACK_WAIT_NONE)
    r->wait_until_ns = realtime_ns() + (f->wait_until_mono_ns - mono);
  report_copy(r->last_reason, sizeof(r->last_reason), f->last_reason);
  memcpy(r->transitions_total, f->transitions_total, sizeof(r->transitions_total));
  r->refused = f->refused;
  r->n_actions = f->n_actions;
  for (size_t k = 0; k < f->n_actions; k++) {
    const struct action *a = &f->actions[k];
    struct fallback_action_report *ar = &r->actions[k];
    ar->kind = a->ops->kind;
    a->ops->target(a->priv, ar->target, sizeof(ar->target));
    ar->busy = a->busy;
    ar->ok = a->applied_count == 0 || a->ok;
    ar->applied = a->applied_count;
    ar->failures = a->failures;
    report_copy(ar->last_error, sizeof(ar->last_error), a->last_error);
    ar->last_error_ns = a->last_error_ns;
  }
}

/* -------- safe state -------- */

/* How long safe-state waits for ptp4l's port states before deciding without them. */
#define SAFE_STATE_PORT_WAIT_NS (3 * NS_PER_SEC)

static struct fallback **safe_all;
static size_t safe_n;
static bool safe_decided;

/* With phc2sys -a outside the bridge, NTP starts only if no watched port is SLAVE: else
   phc2sys steers, and the bridge's next start decides. */
static void safe_decide(void *arg)
{
  (void)arg;
  if (safe_decided)
    return;
  safe_decided = true;
  for (size_t k = 0; k < safe_n; k++) {
    struct fallback *f = safe_all[k];
    int claim = 0;
    bool hold_off;
    if (f->fsm_cfg.phc2sys_auto) {
      evaluate(f, monotonic_ns(), &hold_off, &claim);
      if (claim == 2) {
        log_notice("fallback %s: phc2sys -a steers from a SLAVE port: NTP stays off", f->inst.name);
        safe_state_pending--;
        continue;
      }
    }
    execute(f, FALLBACK_START, FALLBACK_NTP, "the bridge stopped: NTP is the safe state");
  }
  if (safe_state_pending == 0)
    sched_quit(0);
}

static void safe_tracker_seen(void *arg, const struct tracker *t, enum tracker_state from,
                              enum tracker_state to, const char *reason)
{
  (void)arg;
  (void)t;
  (void)from;
  (void)to;
  (void)reason;
  for (size_t k = 0; k < safe_n; k++)
    for (size_t i = 0; safe_all[k]->fsm_cfg.phc2sys_auto && i < safe_all[k]->n_trackers; i++) {
      struct tracker *w = tracker_find(safe_all[k]->trackers[i]);
      if (!w || tracker_state(w) == TRACKER_UNKNOWN)
        return;
    }
  safe_decide(NULL);
}

int fallback_safe_state(const struct conf *c)
{
  struct sched_timer *timer = NULL;
  bool need_ports = false;
  int failed = 0;

  safe_all = xnew_array(struct fallback *, conf_count(c) + 1);
  for (size_t k = 0; k < conf_count(c); k++) {
    const struct conf_section *s = conf_at(c, k);
    struct fallback *f;
    if (strcmp(conf_kind_name(s), "fallback") != 0)
      continue;
    f = of(fallback_alloc());
    f->inst.kind = &fallback_kind;
    f->inst.name = xstrdup(conf_name(s));
    health_init(&f->inst.health, "fallback", f->inst.name, NS_PER_SEC, NS_PER_SEC);
    fallback_create(&f->inst, s);
    f->safe_state = true;
    need_ports |= f->fsm_cfg.phc2sys_auto;
    safe_all[safe_n++] = f;
  }
  safe_state_pending = safe_n;
  if (need_ports) {
    tracker_add_new(c);
    for (size_t k = 0; k < safe_n; k++)
      for (size_t i = 0; safe_all[k]->fsm_cfg.phc2sys_auto && i < safe_all[k]->n_trackers; i++)
        tracker_watch(safe_all[k]->trackers[i], safe_tracker_seen, NULL);
    timer = sched_timer_new(safe_decide, NULL);
    sched_timer_after(timer, SAFE_STATE_PORT_WAIT_NS);
  } else {
    safe_decide(NULL);
  }
  if (safe_state_pending > 0 && sched_run() < 0)
    failed++;
  for (size_t k = 0; k < safe_n; k++) {
    struct fallback *f = safe_all[k];
    if (f->any_failed || f->running)
      failed++;
    for (size_t i = 0; f->fsm_cfg.phc2sys_auto && i < f->n_trackers; i++)
      tracker_unwatch(f->trackers[i], safe_tracker_seen, NULL);
    fallback_destroy(&f->inst);
    free(f->inst.name);
    free(f);
  }
  if (timer)
    sched_timer_free(timer);
  tracker_fini();
  free(safe_all);
  return failed ? 1 : 0;
}
