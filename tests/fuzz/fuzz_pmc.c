/* libFuzzer target: ptp4l management datagrams. Any input must parse or be rejected without a
   read outside it; a decoded message must be usable and go through the trust rules
   (pmc_session) without counting from a foreign clock. The input also drives the encoder, whose
   output, turned into a RESPONSE, must parse back to the same id and data. Seeds in
   corpus/pmc/: `build/tests/test_pmc_msg tests/fuzz/corpus/pmc` writes the synthetic ones;
   ptp4l-3.1.1-*.bin are replies captured from a real ptp4l 3.1.1 (Debian 12), ptp4l-4.2-*.bin a
   subscription reply and the first two pushes (numbered 0 and 1) from linuxptp 4.2 (Debian 13). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ptpstate/pmc_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(const struct pmc_msg *m)
{
  size_t s = strlen(pmc_parse_error_str(PMC_OK)) + m->sequence + m->source.port;

  switch (m->id) {
  case PMC_ID_PORT_DATA_SET:
    s += strlen(pmc_port_state_name(m->u.port_ds.state));
    s += (size_t)m->u.port_ds.peer_delay_scaled + (size_t)m->u.port_ds.log_sync_interval;
    break;
  case PMC_ID_TIME_STATUS_NP:
    s += (size_t)m->u.time_status.master_offset_ns + (size_t)m->u.time_status.ingress_time_ns;
    s += pmc_identity_equal(m->u.time_status.gm_identity, m->source.clock);
    break;
  case PMC_ID_TIME_PROPERTIES_DATA_SET:
    s += (size_t)m->u.time_properties.utc_offset + m->u.time_properties.leap61;
    break;
  case PMC_ID_DEFAULT_DATA_SET:
    s += pmc_identity_equal(m->u.default_ds.clock_identity, m->source.clock);
    break;
  case PMC_ID_SUBSCRIBE_EVENTS_NP:
    s += pmc_subscription_has(&m->u.subscription, PMC_NOTIFY_TIME_SYNC);
    break;
  default:
    s += m->u.parent_ds.gm_variance;
    break;
  }
  sink = s;
}

/* The first two bytes are a managementId, the rest a SET body. */
static void round_trip(const uint8_t *data, size_t size)
{
  uint8_t buf[PMC_MAX_MSG];
  struct pmc_request r = {.action = PMC_SET, .sequence = 1};
  struct pmc_msg m;
  enum pmc_parse_error e;
  size_t n;

  if (size < 2)
    return;
  r.id = (uint16_t)(data[0] << 8 | data[1]);
  r.data = data + 2;
  r.data_len = size - 2;
  n = pmc_encode(buf, sizeof(buf), &r);
  if (!n) {
    if (r.data_len <= PMC_MAX_MSG - PMC_MIN_MSG - (r.data_len & 1))
      abort(); /* it would have fit */
    return;
  }
  if (n != PMC_MIN_MSG + r.data_len + (r.data_len & 1) || pmc_parse(buf, n, &m) != PMC_ERR_ACTION)
    abort(); /* our own requests are never taken for replies */
  buf[46] = PMC_RESPONSE;
  e = pmc_parse(buf, n, &m);
  if (e != PMC_OK && e != PMC_ERR_DATA_SIZE && e != PMC_ERR_UNKNOWN_ID)
    abort();
  if (m.id != r.id)
    abort();
  if (e == PMC_OK && r.id == PMC_ID_SUBSCRIBE_EVENTS_NP) {
    /* 65 input bytes arrive as 66: the encoder's zero pad. */
    uint8_t body[PMC_SIZE_SUBSCRIBE_EVENTS_NP] = {0};
    memcpy(body, r.data, r.data_len);
    if (memcmp(m.u.subscription.bitmask, body + 2, sizeof(m.u.subscription.bitmask)) != 0 ||
        m.u.subscription.duration != (body[0] << 8 | body[1]))
      abort();
  }
}

/* The trust rules on whatever parsed: a session that asked for everything with the message's
   own sequenceId (and for DEFAULT_DATA_SET first) and was pushed to. Nothing counts unless it
   is addressed to the session, in its domain, and from the clock DEFAULT_DATA_SET named. */
static void judge(const struct pmc_msg *m)
{
  static const uint16_t ids[] = {PMC_ID_DEFAULT_DATA_SET, PMC_ID_PORT_DATA_SET,
                                 PMC_ID_TIME_STATUS_NP, PMC_ID_SUBSCRIBE_EVENTS_NP};
  struct pmc_session s;
  enum pmc_verdict v;

  pmc_session_init(&s, &m->target, m->domain, m->transport_specific);
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
    pmc_session_sent(&s, m->sequence, ids[i]);
  for (int round = 0; round < 3; round++) {
    bool had_clock = s.have_clock;
    v = pmc_session_check(&s, m);
    if (strcmp(pmc_verdict_str(v), "?") == 0)
      abort();
    if ((v == PMC_REPLY || v == PMC_PUSH) && s.have_clock &&
        !pmc_identity_equal(s.clock, m->source.clock))
      abort(); /* counted from a foreign clock */
    if (v == PMC_PUSH && (!had_clock || !s.subscribed))
      abort(); /* a push before the identity or the subscription */
    if (!had_clock && s.have_clock && m->id != PMC_ID_DEFAULT_DATA_SET)
      abort(); /* the identity learnt from anything else */
  }
  /* Someone else's message never counts. */
  {
    struct pmc_port_identity other = m->target;
    other.port ^= 1;
    pmc_session_init(&s, &other, m->domain, m->transport_specific);
    pmc_session_sent(&s, m->sequence, m->id);
    if (pmc_session_check(&s, m) != PMC_DROP_TARGET)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct pmc_msg m;
  enum pmc_parse_error e = pmc_parse(data, size, &m);

  if (e == PMC_OK)
    touch(&m);
  if (e == PMC_OK || e == PMC_ERR_STATUS)
    judge(&m);
  else if (strlen(pmc_parse_error_str(e)) == 0 || (e == PMC_ERR_STATUS && m.error_code == 0xABCD))
    sink = 1;
  if (e == PMC_OK && (size < PMC_MIN_MSG || m.version != 2))
    abort();
  round_trip(data, size);
  return 0;
}
