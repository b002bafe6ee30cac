/* Tracker instances and the state machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/core/instance.h"
#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/util.h"
#include "ptpstate/tracker_driver.h"

/* Defaults follow OpenShift's ptp-operator: holdOverTimeout 5 s, offset within +/-100 ns. */
const struct conf_key tracker_common_keys[] = {
  {.name = "max_offset", .type = CONF_INT, .def = "100", .min = 1, .max = 1000000000},
  {.name = "lock_updates", .type = CONF_INT, .def = "3", .min = 1, .max = 1000},
  {.name = "holdover", .type = CONF_DOUBLE, .def = "5", .min = 0, .max = 86400},
  {.name = "max_clock_class", .type = CONF_INT, .min = 0, .max = 255},
  {.name = "require_time_traceable", .type = CONF_BOOL, .def = "no"},
  {0},
};

struct tracker {
  struct instance inst;
  int64_t max_offset_ns;
  int lock_updates;
  int64_t holdover_ns;
  int max_clock_class; /* -1: not checked */
  bool require_traceable;
  enum tracker_state state;
  int good_updates;
  struct sched_timer *holdover_timer;
  struct tracker_observation last;
  char why[160]; /* why the latest update was not good */
  int64_t since_ns;
  uint64_t updates, malformed, rejected;
  uint64_t transitions_total[4][4];
  size_t n_transitions, next_transition; /* a ring of the latest */
  struct tracker_transition transitions[TRACKER_TRANSITIONS_MAX];
};

struct watch {
  char *name;
  tracker_watch_fn fn;
  void *arg;
};

static struct watch *watches;
static size_t n_watches;

const char *tracker_state_name(enum tracker_state s)
{
  static const char *const names[] = {"FREERUN", "LOCKED", "HOLDOVER", "UNKNOWN"};
  return (unsigned)s < 4 ? names[s] : "?";
}

static bool still_watching(const char *name, tracker_watch_fn fn, void *arg)
{
  for (size_t i = 0; i < n_watches; i++)
    if (watches[i].fn == fn && watches[i].arg == arg && strcmp(watches[i].name, name) == 0)
      return true;
  return false;
}

static void set_state(struct tracker *t, enum tracker_state to, const char *reason)
{
  enum tracker_state from = t->state;

  struct tracker_transition *tr;

  if (from == to)
    return;
  report_changed();
  t->state = to;
  t->since_ns = realtime_ns();
  t->transitions_total[from][to]++;
  tr = &t->transitions[t->next_transition];
  tr->time_ns = t->since_ns;
  tr->from = from;
  tr->to = to;
  snprintf(tr->reason, sizeof(tr->reason), "%s", reason);
  t->next_transition = (t->next_transition + 1) % TRACKER_TRANSITIONS_MAX;
  if (t->n_transitions < TRACKER_TRANSITIONS_MAX)
    t->n_transitions++;
  log_notice("tracker %s: %s -> %s: %s", t->inst.name, tracker_state_name(from), tracker_state_name(to),
             reason);
  if (to == TRACKER_HOLDOVER)
    sched_timer_after(t->holdover_timer, t->holdover_ns);
  else
    sched_timer_stop(t->holdover_timer);
  /* Watchers may watch or unwatch (themselves or others) from their callback: call those
     watching now, each only while it still is. */
  {
    struct watch *snap = xnew_array(struct watch, n_watches + 1);
    size_t n = 0;
    for (size_t i = 0; i < n_watches; i++)
      if (strcmp(watches[i].name, t->inst.name) == 0)
        snap[n++] = watches[i];
    for (size_t j = 0; j < n; j++)
      if (still_watching(t->inst.name, snap[j].fn, snap[j].arg))
        snap[j].fn(snap[j].arg, t, from, to, reason);
    free(snap);
  }
}

static void holdover_expired(void *arg)
{
  struct tracker *t = arg;
  char reason[96];

  if (t->state != TRACKER_HOLDOVER)
    return;
  snprintf(reason, sizeof(reason), "holdover of %.3g s expired", (double)t->holdover_ns / 1e9);
  set_state(t, TRACKER_FREERUN, reason);
}

/* Why an observation does not count toward LOCKED, or NULL if it does. */
static const char *not_good(struct tracker *t, const struct tracker_observation *o)
{
  if (!o->slave) {
    snprintf(t->why, sizeof(t->why), "no port in SLAVE (%s)", o->port_state ? o->port_state : "?");
    return t->why;
  }
  if (!o->fresh)
    return "sync data is stale: no sync received for too long";
  if (!o->have_offset)
    return "no offset from master yet";
  if (o->offset_ns > t->max_offset_ns || o->offset_ns < -t->max_offset_ns) {
    snprintf(t->why, sizeof(t->why), "offset %+lld ns beyond +/-%lld ns",
             (long long)o->offset_ns, (long long)t->max_offset_ns);
    return t->why;
  }
  if (t->max_clock_class >= 0 && (o->gm_clock_class < 0 || o->gm_clock_class > t->max_clock_class)) {
    snprintf(t->why, sizeof(t->why), "grandmaster clockClass %d above %d", o->gm_clock_class,
             t->max_clock_class);
    return t->why;
  }
  if (t->require_traceable && !o->time_traceable)
    return "grandmaster time is not traceable";
  return NULL;
}

void tracker_update(struct tracker *t, const struct tracker_observation *o)
{
  const char *bad = not_good(t, o);
  char reason[200];

  t->last = *o;
  t->updates++;
  if (!bad) {
    if (!o->new_measurement)
      return;
    if (t->good_updates < t->lock_updates)
      t->good_updates++;
    if (t->state != TRACKER_LOCKED && t->good_updates >= t->lock_updates) {
      snprintf(reason, sizeof(reason), "SLAVE, offset %+lld ns within +/-%lld ns for %d updates",
               (long long)o->offset_ns, (long long)t->max_offset_ns, t->good_updates);
      set_state(t, TRACKER_LOCKED, reason);
    }
    return;
  }
  t->good_updates = 0;
  if (t->state == TRACKER_LOCKED)
    set_state(t, TRACKER_HOLDOVER, bad);
  else if (t->state == TRACKER_UNKNOWN)
    set_state(t, TRACKER_FREERUN, bad);
}

/* The margin: a PTP master re-arms a one-shot timer after each Sync (ptp4l does), so Syncs come
   a little later than the interval, and a loaded host delays them by tens of ms more. Half an
   interval, at least STALE_MARGIN_MIN (fast profiles, where the daemon's own announce timeout
   comes first anyway) and at most STALE_MARGIN_MAX (slow ones: the loss is still seen within
   stale_syncs intervals and one default poll). A Sync seen up to lag_ns late came at the
   earliest lag_ns before it was seen: the window counts from then, so the loss shows as soon
   with polls as with pushes; but two sightings of Syncs that keep coming may lie an interval
   and lag_ns apart, and that, with the margin, is never stale. */
#define STALE_MARGIN_MIN (NS_PER_SEC / 10)
#define STALE_MARGIN_MAX (NS_PER_SEC / 4)

int64_t tracker_stale_window(int stale_syncs, int64_t interval_ns, int64_t lag_ns)
{
  int64_t margin = interval_ns / 2, window, floor;

  margin = margin < STALE_MARGIN_MIN ? STALE_MARGIN_MIN
           : margin > STALE_MARGIN_MAX ? STALE_MARGIN_MAX : margin;
  window = (int64_t)stale_syncs * interval_ns + margin - lag_ns;
  floor = interval_ns + lag_ns + margin;
  return window > floor ? window : floor;
}

void tracker_unreachable(struct tracker *t, const char *why)
{
  t->good_updates = 0;
  memset(&t->last, 0, sizeof(t->last));
  set_state(t, TRACKER_UNKNOWN, why);
}

enum tracker_state tracker_state(const struct tracker *t)
{
  return t->state;
}

bool tracker_utc_offset(const struct tracker *t, int *offset)
{
  if (t->state == TRACKER_UNKNOWN || !t->last.have_time_properties || !t->last.utc_offset_valid)
    return false;
  *offset = t->last.utc_offset;
  return true;
}

const char *tracker_port_state(const struct tracker *t)
{
  return t->state == TRACKER_UNKNOWN ? NULL : t->last.port_state;
}

enum rb_leap tracker_leap(const struct tracker *t)
{
  if (t->state == TRACKER_UNKNOWN || !t->last.have_time_properties)
    return RB_LEAP_NONE;
  return t->last.leap61 ? RB_LEAP_INSERT : t->last.leap59 ? RB_LEAP_DELETE : RB_LEAP_NONE;
}

void tracker_watch(const char *name, tracker_watch_fn fn, void *arg)
{
  watches = xreallocarray(watches, n_watches + 1, sizeof(*watches));
  watches[n_watches].name = xstrdup(name);
  watches[n_watches].fn = fn;
  watches[n_watches].arg = arg;
  n_watches++;
}

void tracker_unwatch(const char *name, tracker_watch_fn fn, void *arg)
{
  for (size_t i = 0; i < n_watches; i++)
    if (watches[i].fn == fn && watches[i].arg == arg && strcmp(watches[i].name, name) == 0) {
      free(watches[i].name);
      watches[i] = watches[--n_watches];
      break;
    }
  if (n_watches == 0) {
    free(watches);
    watches = NULL;
  }
}

static struct tracker *tracker_of(const struct instance *i)
{
  return container_of(i, struct tracker, inst);
}

static const struct tracker_ops *ops_of(const struct tracker *t)
{
  return container_of(t->inst.driver, struct tracker_ops, conf);
}

static struct instance *alloc_tracker(void)
{
  return &xnew(struct tracker)->inst;
}

static void create_tracker(struct instance *i, const struct conf_section *s)
{
  struct tracker *t = tracker_of(i);

  t->max_offset_ns = conf_int(s, "max_offset");
  t->lock_updates = (int)conf_int(s, "lock_updates");
  t->holdover_ns = round_to_ns(conf_double(s, "holdover"));
  t->max_clock_class = conf_is_set(s, "max_clock_class") ? (int)conf_int(s, "max_clock_class") : -1;
  t->require_traceable = conf_bool(s, "require_time_traceable");
  t->state = TRACKER_UNKNOWN;
  t->since_ns = realtime_ns();
  t->holdover_timer = sched_timer_new(holdover_expired, t);
  i->priv = ops_of(t)->create(t, s);
}

static void start_tracker(struct instance *i)
{
  ops_of(tracker_of(i))->start(i->priv);
}

static void destroy_tracker(struct instance *i)
{
  struct tracker *t = tracker_of(i);

  ops_of(t)->destroy(i->priv);
  /* Consumers learn that the state they gated on is gone. */
  set_state(t, TRACKER_UNKNOWN, "tracker stopped");
  sched_timer_free(t->holdover_timer);
}

static const struct instance_kind tracker_kind = {
  .section = "tracker",
  .alloc = alloc_tracker,
  .create = create_tracker,
  .start = start_tracker,
  .destroy = destroy_tracker,
};
static struct instances trackers = INSTANCES_INIT(&tracker_kind);

void tracker_drop_changed(const struct conf *c)
{
  /* Destroying runs the watchers, which may look trackers up: the registry lets them. */
  instances_drop_changed(&trackers, c);
}

void tracker_add_new(const struct conf *c)
{
  instances_add_new(&trackers, c);
}

void tracker_fini(void)
{
  instances_clear(&trackers);
}

struct tracker *tracker_find(const char *name)
{
  struct instance *i = instances_find(&trackers, name);
  return i ? tracker_of(i) : NULL;
}

const char *tracker_name(const struct tracker *t)
{
  return t->inst.name;
}

struct health *tracker_health(struct tracker *t)
{
  return &t->inst.health;
}

void tracker_count_malformed(struct tracker *t)
{
  t->malformed++;
}

void tracker_count_rejected(struct tracker *t)
{
  t->rejected++;
}

size_t tracker_count(void)
{
  return instances_count(&trackers);
}

void tracker_report(size_t n, struct tracker_report *r)
{
  const struct tracker *t = tracker_of(instances_at(&trackers, n));
  const struct tracker_observation *o = &t->last;
  const uint8_t *id = o->gm_identity;

  memset(r, 0, sizeof(*r));
  r->name = t->inst.name;
  r->kind = t->inst.driver->type;
  r->state = t->state;
  r->since_ns = t->since_ns;
  if (t->n_transitions) {
    size_t latest = (t->next_transition + TRACKER_TRANSITIONS_MAX - 1) % TRACKER_TRANSITIONS_MAX;
    memcpy(r->reason, t->transitions[latest].reason, sizeof(r->reason));
  }
  report_copy(r->port_state, sizeof(r->port_state), o->port_state);
  r->have_offset = o->have_offset;
  r->offset_ns = o->offset_ns;
  if (o->have_gm_identity)
    snprintf(r->gm_identity, sizeof(r->gm_identity),
             "%02x%02x%02x.%02x%02x.%02x%02x%02x", id[0], id[1], id[2], id[3], id[4], id[5],
             id[6], id[7]);
  r->gm_clock_class = t->state == TRACKER_UNKNOWN ? -1 : o->gm_clock_class;
  r->have_time_properties = o->have_time_properties;
  r->time_traceable = o->time_traceable;
  r->utc_offset_valid = o->utc_offset_valid;
  r->utc_offset = o->utc_offset;
  r->leap61 = o->leap61;
  r->leap59 = o->leap59;
  r->updates = t->updates;
  r->malformed = t->malformed;
  r->rejected = t->rejected;
  memcpy(r->transitions_total, t->transitions_total, sizeof(r->transitions_total));
  r->n_transitions = t->n_transitions;
  for (size_t k = 0; k < t->n_transitions; k++) {
    size_t at = (t->next_transition + TRACKER_TRANSITIONS_MAX - t->n_transitions + k) %
                TRACKER_TRANSITIONS_MAX;
    r->transitions[k] = t->transitions[at];
  }
  health_report(&t->inst.health, &r->health);
  /* Still UNKNOWN from the start: the reason is why the PTP daemon cannot be reached. */
  if (!r->reason[0] && r->health.down)
    memcpy(r->reason, r->health.last_error, sizeof(r->reason));
  if (ops_of(t)->report)
    ops_of(t)->report(t->inst.priv, r);
}
