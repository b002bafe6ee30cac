/* ptp4l management messages: explicit byte offsets and big-endian get/put helpers rather than
   packed structs, so the layout is written down once, here, and checked below. */
#include <string.h>

#include "ptpstate/pmc_msg.h"

/* Common header. */
#define OFF_TYPE 0 /* transportSpecific << 4 | messageType */
#define OFF_VERSION 1
#define OFF_LENGTH 2
#define OFF_DOMAIN 4
#define OFF_FLAGS 6
#define OFF_SOURCE 20
#define OFF_SEQUENCE 30
#define OFF_CONTROL 32
#define OFF_LOG_INTERVAL 33
/* Management body. */
#define OFF_TARGET 34
#define OFF_START_HOPS 44
#define OFF_HOPS 45
#define OFF_ACTION 46
/* The TLV: type, length (counts from OFF_ID), managementId, data. */
#define OFF_TLV 48
#define OFF_TLV_LEN 50
#define OFF_ID 52
#define OFF_DATA 54
#define PORT_ID_LEN 10

#define MSG_TYPE_MANAGEMENT 0x0D
#define PTP_VERSION 2
#define TLV_MANAGEMENT 0x0001
#define TLV_MANAGEMENT_ERROR_STATUS 0x0002
/* Error status data after the TLV header: error u16, id u16, reserved 4, optional text. */
#define ERR_STATUS_MIN 8

_Static_assert(OFF_TARGET == PMC_HEADER_LEN, "management body follows the header");
_Static_assert(OFF_SEQUENCE == OFF_SOURCE + PORT_ID_LEN, "sourcePortIdentity is 10 bytes");
_Static_assert(OFF_LOG_INTERVAL + 1 == PMC_HEADER_LEN, "header is 34 bytes");
_Static_assert(OFF_START_HOPS == OFF_TARGET + PORT_ID_LEN, "targetPortIdentity is 10 bytes");
_Static_assert(OFF_TLV == 48 && OFF_TLV == OFF_ACTION + 2, "TLV after action and reserved");
_Static_assert(OFF_DATA == 54 && OFF_DATA == OFF_ID + 2 && OFF_ID == OFF_TLV_LEN + 2,
               "data after the managementId");
_Static_assert(PMC_MIN_MSG == OFF_DATA, "shortest valid message ends at the data");
_Static_assert(PMC_MAX_MSG - OFF_DATA + 2 <= 0xFFFF, "lengthField fits 16 bits");

static uint16_t get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
  return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void get_port_identity(const uint8_t *p, struct pmc_port_identity *id)
{
  memcpy(id->clock, p, 8);
  id->port = get16(p + 8);
}

static void put_port_identity(uint8_t *p, const struct pmc_port_identity *id)
{
  memcpy(p, id->clock, 8);
  put16(p + 8, id->port);
}

/* Dataset layouts: field offsets within the data, and the size each implies. */
enum {
  DDS_FLAGS = 0, DDS_NUMBER_PORTS = 2, DDS_PRIORITY1 = 4, DDS_CLASS = 5, DDS_ACCURACY = 6,
  DDS_VARIANCE = 7, DDS_PRIORITY2 = 9, DDS_IDENTITY = 10, DDS_DOMAIN = 18, DDS_END = 20,
};
#define DDS_SLAVE_ONLY 0x02
_Static_assert(DDS_END == PMC_SIZE_DEFAULT_DATA_SET, "DEFAULT_DATA_SET size");

enum { CDS_STEPS = 0, CDS_OFFSET = 2, CDS_DELAY = 10, CDS_END = 18 };
_Static_assert(CDS_END == PMC_SIZE_CURRENT_DATA_SET, "CURRENT_DATA_SET size");

enum {
  PDS_PARENT = 0, PDS_STATS = 10, PDS_OBS_VARIANCE = 12, PDS_OBS_RATE = 14, PDS_GM_PRIORITY1 = 18,
  PDS_GM_CLASS = 19, PDS_GM_ACCURACY = 20, PDS_GM_VARIANCE = 21, PDS_GM_PRIORITY2 = 23,
  PDS_GM_IDENTITY = 24, PDS_END = 32,
};
_Static_assert(PDS_END == PMC_SIZE_PARENT_DATA_SET, "PARENT_DATA_SET size");

enum { TP_UTC_OFFSET = 0, TP_FLAGS = 2, TP_SOURCE = 3, TP_END = 4 };
_Static_assert(TP_END == PMC_SIZE_TIME_PROPERTIES_DATA_SET, "TIME_PROPERTIES_DATA_SET size");

enum {
  PS_IDENTITY = 0, PS_STATE = 10, PS_LOG_MIN_DELAY_REQ = 11, PS_PEER_DELAY = 12,
  PS_LOG_ANNOUNCE = 20, PS_ANNOUNCE_TIMEOUT = 21, PS_LOG_SYNC = 22, PS_DELAY_MECHANISM = 23,
  PS_LOG_MIN_PDELAY_REQ = 24, PS_VERSION = 25, PS_END = 26,
};
_Static_assert(PS_END == PMC_SIZE_PORT_DATA_SET, "PORT_DATA_SET size");

enum {
  TS_MASTER_OFFSET = 0, TS_INGRESS = 8, TS_RATE_OFFSET = 16, TS_GM_PHASE_CHANGE = 20,
  TS_TIME_BASE = 24, TS_LAST_GM_PHASE_CHANGE = 26, TS_GM_PRESENT = 38, TS_GM_IDENTITY = 42,
  TS_END = 50,
};
_Static_assert(TS_LAST_GM_PHASE_CHANGE + 12 == TS_GM_PRESENT, "ScaledNs is 12 bytes");
_Static_assert(TS_END == PMC_SIZE_TIME_STATUS_NP, "TIME_STATUS_NP size");

enum { SE_DURATION = 0, SE_BITMASK = 2, SE_END = 66 };
_Static_assert(SE_END == PMC_SIZE_SUBSCRIBE_EVENTS_NP, "SUBSCRIBE_EVENTS_NP size");
_Static_assert(SE_END - SE_BITMASK == sizeof(((struct pmc_subscription *)0)->bitmask),
               "bitmask size");

size_t pmc_encode(uint8_t *buf, size_t len, const struct pmc_request *r)
{
  size_t data_len = r->data_len, padded = data_len + (data_len & 1), total;

  if (r->transport_specific > 15 || (r->data_len > 0 && !r->data) ||
      (r->action != PMC_GET && r->action != PMC_SET && r->action != PMC_COMMAND))
    return 0;
  /* Compare before adding: a huge data_len must not wrap. */
  if (data_len > PMC_MAX_MSG - OFF_DATA)
    return 0;
  total = OFF_DATA + padded;
  if (total > PMC_MAX_MSG || total > len)
    return 0;

  memset(buf, 0, total);
  buf[OFF_TYPE] = (uint8_t)(r->transport_specific << 4 | MSG_TYPE_MANAGEMENT);
  buf[OFF_VERSION] = PTP_VERSION;
  put16(buf + OFF_LENGTH, (uint16_t)total);
  buf[OFF_DOMAIN] = r->domain;
  put_port_identity(buf + OFF_SOURCE, &r->source);
  put16(buf + OFF_SEQUENCE, r->sequence);
  buf[OFF_CONTROL] = 0;
  buf[OFF_LOG_INTERVAL] = 0x7F;
  memset(buf + OFF_TARGET, 0xFF, PORT_ID_LEN);
  /* Hops 0: ptp4l would otherwise forward the request to the network. */
  buf[OFF_START_HOPS] = 0;
  buf[OFF_HOPS] = 0;
  buf[OFF_ACTION] = (uint8_t)r->action;
  put16(buf + OFF_TLV, TLV_MANAGEMENT);
  put16(buf + OFF_TLV_LEN, (uint16_t)(2 + padded));
  put16(buf + OFF_ID, r->id);
  if (data_len)
    memcpy(buf + OFF_DATA, r->data, data_len);
  return total;
}

void pmc_subscribe_body(uint8_t out[66], uint16_t duration, uint32_t events)
{
  memset(out, 0, SE_END);
  put16(out + SE_DURATION, duration);
  for (unsigned n = 0; n < 32; n++)
    if (events & (UINT32_C(1) << n))
      out[SE_BITMASK + n / 8] |= (uint8_t)(1u << (n % 8));
}

void pmc_sync_uncertain_body(uint8_t out[2], uint8_t value)
{
  out[0] = value;
  out[1] = 0;
}

bool pmc_subscription_has(const struct pmc_subscription *s, unsigned event)
{
  return event < 8 * sizeof(s->bitmask) && (s->bitmask[event / 8] >> (event % 8) & 1);
}

static void decode_default(const uint8_t *d, struct pmc_msg *m)
{
  struct pmc_default_ds *ds = &m->u.default_ds;
  ds->slave_only = d[DDS_FLAGS] & DDS_SLAVE_ONLY;
  ds->number_ports = get16(d + DDS_NUMBER_PORTS);
  ds->priority1 = d[DDS_PRIORITY1];
  ds->clock_class = d[DDS_CLASS];
  ds->clock_accuracy = d[DDS_ACCURACY];
  ds->variance = get16(d + DDS_VARIANCE);
  ds->priority2 = d[DDS_PRIORITY2];
  memcpy(ds->clock_identity, d + DDS_IDENTITY, 8);
  ds->domain = d[DDS_DOMAIN];
}

static void decode_current(const uint8_t *d, struct pmc_msg *m)
{
  struct pmc_current_ds *ds = &m->u.current_ds;
  ds->steps_removed = get16(d + CDS_STEPS);
  ds->offset_scaled = (int64_t)get64(d + CDS_OFFSET);
  ds->delay_scaled = (int64_t)get64(d + CDS_DELAY);
}

static void decode_parent(const uint8_t *d, struct pmc_msg *m)
{
  struct pmc_parent_ds *ds = &m->u.parent_ds;
  get_port_identity(d + PDS_PARENT, &ds->parent);
  ds->gm_priority1 = d[PDS_GM_PRIORITY1];
  ds->gm_clock_class = d[PDS_GM_CLASS];
  ds->gm_clock_accuracy = d[PDS_GM_ACCURACY];
  ds->gm_variance = get16(d + PDS_GM_VARIANCE);
  ds->gm_priority2 = d[PDS_GM_PRIORITY2];
  memcpy(ds->gm_identity, d + PDS_GM_IDENTITY, 8);
}

static void decode_time_properties(const uint8_t *d, struct pmc_msg *m)
{
  struct pmc_time_properties *tp = &m->u.time_properties;
  uint8_t f = d[TP_FLAGS];
  tp->utc_offset = (int16_t)get16(d + TP_UTC_OFFSET);
  tp->leap61 = f & PMC_TP_LEAP61;
  tp->leap59 = f & PMC_TP_LEAP59;
  tp->utc_offset_valid = f & PMC_TP_UTC_OFFSET_VALID;
  tp->ptp_timescale = f & PMC_TP_PTP_TIMESCALE;
  tp->time_traceable = f & PMC_TP_TIME_TRACEABLE;
  tp->freq_traceable = f & PMC_TP_FREQ_TRACEABLE;
  tp->time_source = d[TP_SOURCE];
}

static void decode_port(const uint8_t *d, struct pmc_msg *m)
{
  struct pmc_port_ds *ds = &m->u.port_ds;
  get_port_identity(d + PS_IDENTITY, &ds->port);
  ds->state = d[PS_STATE];
  ds->log_min_delay_req_interval = (int8_t)d[PS_LOG_MIN_DELAY_REQ];
  ds->peer_delay_scaled = (int64_t)get64(d + PS_PEER_DELAY);
  ds->log_announce_interval = (int8_t)d[PS_LOG_ANNOUNCE];
  ds->announce_receipt_timeout = d[PS_ANNOUNCE_TIMEOUT];
  ds->log_sync_interval = (int8_t)d[PS_LOG_SYNC];
  ds->delay_mechanism = d[PS_DELAY_MECHANISM];
  ds->log_min_pdelay_req_interval = (int8_t)d[PS_LOG_MIN_PDELAY_REQ];
  ds->version = d[PS_VERSION];
}

static void decode_time_status(const uint8_t *d, struct pmc_msg *m)
{
  struct pmc_time_status *ts = &m->u.time_status;
  ts->master_offset_ns = (int64_t)get64(d + TS_MASTER_OFFSET);
  ts->ingress_time_ns = (int64_t)get64(d + TS_INGRESS);
  ts->cumulative_scaled_rate_offset = (int32_t)get32(d + TS_RATE_OFFSET);
  ts->scaled_last_gm_phase_change = (int32_t)get32(d + TS_GM_PHASE_CHANGE);
  ts->gm_time_base_indicator = get16(d + TS_TIME_BASE);
  ts->gm_present = (int32_t)get32(d + TS_GM_PRESENT);
  memcpy(ts->gm_identity, d + TS_GM_IDENTITY, 8);
}

static void decode_subscription(const uint8_t *d, struct pmc_msg *m)
{
  m->u.subscription.duration = get16(d + SE_DURATION);
  memcpy(m->u.subscription.bitmask, d + SE_BITMASK, sizeof(m->u.subscription.bitmask));
}

static void decode_sync_uncertain(const uint8_t *d, struct pmc_msg *m)
{
  m->u.sync_uncertain = d[0];
}

static const struct {
  uint16_t id;
  uint16_t size;
  void (*decode)(const uint8_t *d, struct pmc_msg *m);
} datasets[] = {
  {PMC_ID_DEFAULT_DATA_SET, PMC_SIZE_DEFAULT_DATA_SET, decode_default},
  {PMC_ID_CURRENT_DATA_SET, PMC_SIZE_CURRENT_DATA_SET, decode_current},
  {PMC_ID_PARENT_DATA_SET, PMC_SIZE_PARENT_DATA_SET, decode_parent},
  {PMC_ID_TIME_PROPERTIES_DATA_SET, PMC_SIZE_TIME_PROPERTIES_DATA_SET, decode_time_properties},
  {PMC_ID_PORT_DATA_SET, PMC_SIZE_PORT_DATA_SET, decode_port},
  {PMC_ID_TIME_STATUS_NP, PMC_SIZE_TIME_STATUS_NP, decode_time_status},
  {PMC_ID_SUBSCRIBE_EVENTS_NP, PMC_SIZE_SUBSCRIBE_EVENTS_NP, decode_subscription},
  {PMC_ID_SYNCHRONIZATION_UNCERTAIN_NP, PMC_SIZE_SYNCHRONIZATION_UNCERTAIN_NP,
   decode_sync_uncertain},
};

enum pmc_parse_error pmc_parse(const uint8_t *buf, size_t len, struct pmc_msg *out)
{
  unsigned action;
  size_t tlv_len, data_len;
  uint16_t tlv_type;

  memset(out, 0, sizeof(*out));
  if (len < PMC_MIN_MSG)
    return PMC_ERR_SHORT;
  /* ptp4l drops requests whose length differs; be as strict with its replies. */
  if ((size_t)get16(buf + OFF_LENGTH) != len)
    return PMC_ERR_LENGTH;

  out->transport_specific = buf[OFF_TYPE] >> 4;
  out->version = buf[OFF_VERSION] & 0x0F;
  out->domain = buf[OFF_DOMAIN];
  out->flags = get16(buf + OFF_FLAGS);
  get_port_identity(buf + OFF_SOURCE, &out->source);
  out->sequence = get16(buf + OFF_SEQUENCE);
  get_port_identity(buf + OFF_TARGET, &out->target);
  action = buf[OFF_ACTION] & 0x0F;
  out->action = (enum pmc_action)action;

  if ((buf[OFF_TYPE] & 0x0F) != MSG_TYPE_MANAGEMENT)
    return PMC_ERR_NOT_MANAGEMENT;
  /* The high nibble is minorVersionPTP (1 from ptp4l 4.0 on); only the major counts. */
  if (out->version != PTP_VERSION)
    return PMC_ERR_VERSION;
  /* Pushes are RESPONSEs too; a GET here would be our own request looped back. */
  if (action != PMC_RESPONSE && action != PMC_ACKNOWLEDGE)
    return PMC_ERR_ACTION;

  /* Exactly one TLV, ending at the end of the datagram. */
  tlv_type = get16(buf + OFF_TLV);
  tlv_len = get16(buf + OFF_TLV_LEN);
  if (tlv_type != TLV_MANAGEMENT && tlv_type != TLV_MANAGEMENT_ERROR_STATUS)
    return PMC_ERR_TLV;
  if (tlv_len < 2 || (tlv_len & 1) || (size_t)OFF_ID + tlv_len != len)
    return PMC_ERR_TLV;

  if (tlv_type == TLV_MANAGEMENT_ERROR_STATUS) {
    if (tlv_len < ERR_STATUS_MIN)
      return PMC_ERR_TLV;
    out->error_status = true;
    out->error_code = get16(buf + OFF_ID);
    out->id = get16(buf + OFF_ID + 2);
    return PMC_ERR_STATUS;
  }

  out->id = get16(buf + OFF_ID);
  data_len = tlv_len - 2;
  for (size_t i = 0; i < sizeof(datasets) / sizeof(datasets[0]); i++) {
    size_t size = datasets[i].size;
    if (datasets[i].id != out->id)
      continue;
    /* Padding is allowed only to make the TLV length even. */
    if (data_len != size && !(size & 1 && data_len == size + 1))
      return PMC_ERR_DATA_SIZE;
    datasets[i].decode(buf + OFF_DATA, out);
    return PMC_OK;
  }
  return PMC_ERR_UNKNOWN_ID;
}

const char *pmc_parse_error_str(enum pmc_parse_error e)
{
  switch (e) {
  case PMC_OK:
    return "ok";
  case PMC_ERR_SHORT:
    return "message too short";
  case PMC_ERR_LENGTH:
    return "messageLength differs from the datagram length";
  case PMC_ERR_NOT_MANAGEMENT:
    return "not a management message";
  case PMC_ERR_VERSION:
    return "not PTP version 2";
  case PMC_ERR_ACTION:
    return "not a response or acknowledge";
  case PMC_ERR_TLV:
    return "bad management TLV";
  case PMC_ERR_DATA_SIZE:
    return "wrong data size for the managementId";
  case PMC_ERR_UNKNOWN_ID:
    return "unknown managementId";
  case PMC_ERR_STATUS:
    return "management error status";
  }
  return "unknown error";
}

const char *pmc_mgmt_error_str(uint16_t code)
{
  switch (code) {
  case PMC_MERR_RESPONSE_TOO_BIG:
    return "RESPONSE_TOO_BIG";
  case PMC_MERR_NO_SUCH_ID:
    return "NO_SUCH_ID";
  case PMC_MERR_WRONG_LENGTH:
    return "WRONG_LENGTH";
  case PMC_MERR_WRONG_VALUE:
    return "WRONG_VALUE";
  case PMC_MERR_NOT_SETABLE:
    return "NOT_SETABLE";
  case PMC_MERR_NOT_SUPPORTED:
    return "NOT_SUPPORTED";
  case PMC_MERR_GENERAL_ERROR:
    return "GENERAL_ERROR";
  }
  return "UNKNOWN";
}

const char *pmc_port_state_name(uint8_t state)
{
  static const char *const names[] = {
    [PMC_PS_INITIALIZING] = "INITIALIZING", [PMC_PS_FAULTY] = "FAULTY",
    [PMC_PS_DISABLED] = "DISABLED",         [PMC_PS_LISTENING] = "LISTENING",
    [PMC_PS_PRE_MASTER] = "PRE_MASTER",     [PMC_PS_MASTER] = "MASTER",
    [PMC_PS_PASSIVE] = "PASSIVE",           [PMC_PS_UNCALIBRATED] = "UNCALIBRATED",
    [PMC_PS_SLAVE] = "SLAVE",               [PMC_PS_GRAND_MASTER] = "GRAND_MASTER",
  };
  if (state >= sizeof(names) / sizeof(names[0]) || !names[state])
    return "UNKNOWN";
  return names[state];
}

bool pmc_identity_equal(const uint8_t a[8], const uint8_t b[8])
{
  return memcmp(a, b, 8) == 0;
}

const char *pmc_verdict_str(enum pmc_verdict v)
{
  switch (v) {
  case PMC_REPLY:
    return "reply";
  case PMC_PUSH:
    return "push";
  case PMC_DROP_TARGET:
    return "addressed to another client";
  case PMC_DROP_DOMAIN:
    return "from another domain or transportSpecific";
  case PMC_DROP_UNSOLICITED:
    return "a reply to no request of ours";
  case PMC_DROP_REPEATED:
    return "a repeated reply";
  case PMC_DROP_EARLY:
    return "before ptp4l's clock identity is known";
  case PMC_DROP_CLOCK:
    return "from a foreign clock identity";
  case PMC_DROP_SEQUENCE:
    return "a push out of sequence";
  }
  return "?";
}

void pmc_session_init(struct pmc_session *s, const struct pmc_port_identity *me, uint8_t domain,
                      uint8_t transport_specific)
{
  memset(s, 0, sizeof(*s));
  s->me = *me;
  s->domain = domain;
  s->transport_specific = transport_specific;
}

void pmc_session_sent(struct pmc_session *s, uint16_t seq, uint16_t id)
{
  unsigned i = s->n_sent++ % PMC_SESSION_OPEN;

  s->open[i].seq = seq;
  s->open[i].id = id;
  s->open[i].used = true;
  s->open[i].answered = false;
  s->open[i].ports_answered = 0;
}

void pmc_session_forget(struct pmc_session *s)
{
  s->have_clock = false;
  s->subscribed = false;
  s->have_push = false;
  s->resync_run = 0;
}

/* Takes the reply if it answers an open request, each clock-level request once and a
   port-level one once per port (a wildcard GET gets one reply per port). */
static enum pmc_verdict take_reply(struct pmc_session *s, const struct pmc_msg *m, bool *found)
{
  *found = false;
  for (unsigned i = 0; i < PMC_SESSION_OPEN; i++) {
    uint32_t bit;
    if (!s->open[i].used || s->open[i].seq != m->sequence || s->open[i].id != m->id)
      continue;
    *found = true;
    if (m->id != PMC_ID_PORT_DATA_SET || m->error_status) {
      if (s->open[i].answered)
        return PMC_DROP_REPEATED;
      s->open[i].answered = true;
      return PMC_REPLY;
    }
    bit = m->u.port_ds.port.port < 32 ? UINT32_C(1) << m->u.port_ds.port.port : 1;
    if (s->open[i].ports_answered & bit)
      return PMC_DROP_REPEATED;
    s->open[i].ports_answered |= bit;
    return PMC_REPLY;
  }
  return PMC_DROP_UNSOLICITED;
}

/* ptp4l numbers the pushes to each subscriber from 0 at subscription, one by one. */
static enum pmc_verdict take_push(struct pmc_session *s, uint16_t seq)
{
  uint16_t ahead = (uint16_t)(seq - s->push_seq);

  if ((s->have_push && ahead >= 1 && ahead <= PMC_PUSH_AHEAD) || (!s->have_push && seq == 0)) {
    s->push_seq = seq;
    s->have_push = true;
    s->resync_run = 0;
    return PMC_PUSH;
  }
  /* ptp4l restarted, or its subscription lapsed and began again: a run of consecutive pushes
     re-establishes the numbering; a lone message never does. */
  s->resync_run = s->resync_run > 0 && seq == (uint16_t)(s->resync_seq + 1) ? s->resync_run + 1 : 1;
  s->resync_seq = seq;
  if (s->resync_run < PMC_PUSH_RESYNC)
    return PMC_DROP_SEQUENCE;
  s->push_seq = seq;
  s->have_push = true;
  s->resync_run = 0;
  return PMC_PUSH;
}

enum pmc_verdict pmc_session_check(struct pmc_session *s, const struct pmc_msg *m)
{
  enum pmc_verdict v;
  bool found;

  if (m->target.port != s->me.port || !pmc_identity_equal(m->target.clock, s->me.clock))
    return PMC_DROP_TARGET;
  if (m->domain != s->domain || m->transport_specific != s->transport_specific)
    return PMC_DROP_DOMAIN;
  if (s->have_clock && !pmc_identity_equal(m->source.clock, s->clock))
    return PMC_DROP_CLOCK;

  /* A DEFAULT_DATA_SET that names its sender is what the identity is learnt from. */
  if (!s->have_clock) {
    if (m->id != PMC_ID_DEFAULT_DATA_SET || m->error_status)
      return PMC_DROP_EARLY;
    if (!pmc_identity_equal(m->u.default_ds.clock_identity, m->source.clock))
      return PMC_DROP_CLOCK;
    v = take_reply(s, m, &found);
    if (v == PMC_REPLY) {
      memcpy(s->clock, m->source.clock, 8);
      s->have_clock = true;
    }
    return v;
  }

  v = take_reply(s, m, &found);
  if (v == PMC_REPLY && m->id == PMC_ID_SUBSCRIBE_EVENTS_NP && !m->error_status) {
    s->subscribed = false;
    for (size_t i = 0; i < sizeof(m->u.subscription.bitmask); i++)
      s->subscribed |= m->u.subscription.bitmask[i] != 0;
  }
  if (found)
    return v;
  /* Not a reply: only the events subscribed to are pushed, as RESPONSEs. */
  if (m->error_status || m->action != PMC_RESPONSE ||
      (m->id != PMC_ID_PORT_DATA_SET && m->id != PMC_ID_TIME_STATUS_NP))
    return PMC_DROP_UNSOLICITED;
  if (!s->subscribed)
    return PMC_DROP_UNSOLICITED; /* nothing can be a push */
  return take_push(s, m->sequence);
}
