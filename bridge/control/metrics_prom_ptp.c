/* The Prometheus families of the PTP side: trackers (sync state, grandmaster, transitions) and
   NTP fallbacks (mode, what holds a toggle back, toggles, actions), tables for metrics_prom.c. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge/control/metrics_prom.h"

#define PREFIX METRICS_PREFIX
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ======================================================================================== */
/* Trackers (labels tracker, kind) */

#define TRK(p) const struct tracker_report *r = (p)

static void m_tracker_info(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  struct prom_label l[2] = {{"endpoint", r->endpoint, false},
                            {"gm_identity", r->gm_identity, false}};
  metrics_info_series(o, w, l, 2, &r->extras);
}

static void m_tracker_state_set(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  for (enum tracker_state s = TRACKER_FREERUN; s <= TRACKER_UNKNOWN; s++)
    prom_series_u64(o, w, "state", tracker_state_name(s), r->state == s);
}

/* OpenShift's clock-state numbers; an unreachable daemon counts as free-running. */
static void m_tracker_openshift(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  prom_series_u64(o, w, NULL, NULL, r->state == TRACKER_UNKNOWN ? TRACKER_FREERUN : r->state);
}

static void m_tracker_offset(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  if (r->have_offset)
    prom_series_ns(o, w, r->offset_ns);
}

static void m_tracker_clock_class(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  if (r->gm_clock_class >= 0)
    prom_series_u64(o, w, NULL, NULL, (uint64_t)r->gm_clock_class);
}

static void m_tracker_traceable(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  if (r->have_time_properties)
    prom_series_u64(o, w, NULL, NULL, r->time_traceable);
}

static void m_tracker_utc_offset(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  if (r->have_time_properties && r->utc_offset_valid) {
    prom_series(o, w, NULL, 0);
    prom_value_i64(&o->t, r->utc_offset);
  }
}

static void m_tracker_updates(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  prom_series_u64(o, w, NULL, NULL, r->updates);
}

static void m_tracker_dropped(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  prom_series_u64(o, w, "reason", "malformed", r->malformed);
  prom_series_u64(o, w, "reason", "rejected", r->rejected);
}

static void m_tracker_transitions(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  for (enum tracker_state from = TRACKER_FREERUN; from <= TRACKER_UNKNOWN; from++) {
    for (enum tracker_state to = TRACKER_FREERUN; to <= TRACKER_UNKNOWN; to++) {
      struct prom_label l[2] = {{"from", tracker_state_name(from), true},
                                {"to", tracker_state_name(to), true}};
      if (from == to)
        continue;
      prom_series(o, w, l, 2);
      prom_value_u64(&o->t, r->transitions_total[from][to]);
    }
  }
}

static void m_tracker_outages(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  prom_series_u64(o, w, NULL, NULL, r->health.outages);
}

static void m_tracker_outage_time(struct prom_out *o, const struct prom_who *w, const void *p)
{
  TRK(p);
  prom_series_ns(o, w, r->health.outage_ns);
}

const struct metrics_family metrics_tracker_families[] = {
  {PREFIX "tracker_info", "gauge", "A tracker: the PTP daemon's socket and the grandmaster.",
   m_tracker_info},
  {PREFIX "tracker_state", "gauge",
   "The tracker's PTP sync state as a state set: 1 for the current state, 0 for the others.",
   m_tracker_state_set},
  {PREFIX "tracker_openshift_state", "gauge",
   "The sync state numbered as OpenShift's openshift_ptp_clock_state: 0 FREERUN (also when the "
   "PTP daemon is unreachable), 1 LOCKED, 2 HOLDOVER.",
   m_tracker_openshift},
  {PREFIX "tracker_offset_from_master_seconds", "gauge",
   "The PTP daemon's latest offset from its master.", m_tracker_offset},
  {PREFIX "tracker_clock_class", "gauge", "The grandmaster's clockClass.", m_tracker_clock_class},
  {PREFIX "tracker_time_traceable", "gauge", "1 if the grandmaster's time is traceable, else 0.",
   m_tracker_traceable},
  {PREFIX "tracker_utc_offset_seconds", "gauge",
   "TAI - UTC as the grandmaster announces it, while valid.", m_tracker_utc_offset},
  {PREFIX "tracker_updates_total", "counter", "Updates received from the PTP daemon.",
   m_tracker_updates},
  {PREFIX "tracker_messages_dropped_total", "counter",
   "Messages from the PTP daemon's socket dropped: malformed, or rejected (not an answer to "
   "the tracker).",
   m_tracker_dropped},
  {PREFIX "tracker_transitions_total", "counter", "Changes of the sync state, by from and to.",
   m_tracker_transitions},
  {PREFIX "tracker_outages_total", "counter", "Outages of the tracker (PTP daemon unreachable).",
   m_tracker_outages},
  {PREFIX "tracker_outage_seconds_total", "counter",
   "Time spent in outages, the current one included.", m_tracker_outage_time},
};

const size_t metrics_n_tracker_families = N(metrics_tracker_families);

const struct report_extras *metrics_tracker_extras(const void *p)
{
  TRK(p);
  return &r->extras;
}

/* ======================================================================================== */
/* Fallbacks (label fallback; no kind: fallbacks have no drivers) */

#define FB(p) const struct fallback_report *r = (p)

static void m_fallback_mode(struct prom_out *o, const struct prom_who *w, const void *p)
{
  FB(p);
  for (enum fallback_mode m = FALLBACK_START; m <= FALLBACK_NTP; m++)
    prom_series_u64(o, w, "mode", fallback_mode_name(m), r->mode == m);
}

static void m_fallback_active(struct prom_out *o, const struct prom_who *w, const void *p)
{
  FB(p);
  prom_series_u64(o, w, NULL, NULL, r->mode == FALLBACK_NTP);
}

static void m_fallback_since(struct prom_out *o, const struct prom_who *w, const void *p)
{
  FB(p);
  if (r->since_ns)
    prom_series_ns(o, w, r->since_ns);
}

static void m_fallback_ptp_good(struct prom_out *o, const struct prom_who *w, const void *p)
{
  FB(p);
  prom_series_u64(o, w, NULL, NULL, r->ptp_good);
}

static void m_fallback_waiting(struct prom_out *o, const struct prom_who *w, const void *p)
{
  FB(p);
  for (enum fallback_wait x = FALLBACK_WAIT_NONE; x <= FALLBACK_WAIT_PHC2SYS; x++)
    prom_series_u64(o, w, "wait", fallback_wait_name(x), r->wait == x);
}

/* The toggles the decision makes are always there, from 0, so that increase() sees the first;
   any other pair once it happened. */
static bool usual_toggle(enum fallback_mode to, enum fallback_reason why)
{
  if (to == FALLBACK_NTP)
    return why == FALLBACK_REASON_LOSS || why == FALLBACK_REASON_DAY0;
  return to == FALLBACK_PTP && (why == FALLBACK_REASON_LOCKED ||
                                why == FALLBACK_REASON_RECOVERED || why == FALLBACK_REASON_PHC2SYS);
}

static void m_fallback_transitions(struct prom_out *o, const struct prom_who *w, const void *p)
{
  FB(p);
  for (enum fallback_mode to = FALLBACK_START; to <= FALLBACK_NTP; to++) {
    for (enum fallback_reason why = 0; why < FALLBACK_REASONS; why++) {
      struct prom_label l[2] = {{"to", fallback_mode_name(to), true},
                                {"reason", fallback_reason_name(why), true}};
      if (!usual_toggle(to, why) && !r->transitions_total[to][why])
        continue;
      prom_series(o, w, l, 2);
      prom_value_u64(&o->t, r->transitions_total[to][why]);
    }
  }
}

static void m_fallback_refused(struct prom_out *o, const struct prom_who *w, const void *p)
{
  FB(p);
  prom_series_u64(o, w, NULL, NULL, r->refused);
}

/* One series per action, labelled with its kind (unit, marker, hook). */
static void action_series(struct prom_out *o, const struct prom_who *w,
                          const struct fallback_report *r, bool ok)
{
  for (size_t i = 0; i < r->n_actions && i < FALLBACK_ACTIONS_MAX; i++) {
    const struct fallback_action_report *a = &r->actions[i];
    struct prom_label l = {"action", a->kind, false};
    prom_series(o, w, &l, 1);
    prom_value_u64(&o->t, ok ? a->ok : a->failures);
  }
}

static void m_fallback_action_failures(struct prom_out *o, const struct prom_who *w,
                                       const void *p)
{
  action_series(o, w, p, false);
}

static void m_fallback_action_ok(struct prom_out *o, const struct prom_who *w, const void *p)
{
  action_series(o, w, p, true);
}

const struct metrics_family metrics_fallback_families[] = {
  {PREFIX "fallback_mode", "gauge",
   "The fallback's mode as a state set: start (undecided), ptp or ntp.", m_fallback_mode},
  {PREFIX "fallback_active", "gauge", "1 while NTP has the system clock (mode ntp), else 0.",
   m_fallback_active},
  {PREFIX "fallback_since_seconds", "gauge", "When the current mode began (Unix seconds).",
   m_fallback_since},
  {PREFIX "fallback_ptp_good", "gauge",
   "1 if every tracker and source the fallback watches is good now, else 0.", m_fallback_ptp_good},
  {PREFIX "fallback_waiting", "gauge",
   "What holds a toggle back, as a state set (none if nothing).", m_fallback_waiting},
  {PREFIX "fallback_transitions_total", "counter", "Changes of mode, by the new mode and reason.",
   m_fallback_transitions},
  {PREFIX "fallback_refused_total", "counter", "Toggles held back by min_interval.",
   m_fallback_refused},
  {PREFIX "fallback_action_failures_total", "counter",
   "Failed applications of an action (unit, marker, hook).", m_fallback_action_failures},
  {PREFIX "fallback_action_ok", "gauge", "1 if the action's last application worked, else 0.",
   m_fallback_action_ok},
};

const size_t metrics_n_fallback_families = N(metrics_fallback_families);
