/* Unit tests: the trust rules of a ptp4l management session (pmc_session): replies only to
   open requests, ptp4l's identity only from DEFAULT_DATA_SET, pushes only from it, once
   subscribed, in ptp4l's numbering; checked also on pushes captured from a real linuxptp 4.2. */
#include <string.h>

#include "pmc_build.h"
#include "ptpstate/pmc_msg.h"
#include "test.h"

/* Pushes captured from linuxptp 4.2 (Debian 13's) to a client "capture1" port 5 that had just
   subscribed to port states and TIME_SYNC: numbered 0, 1 across both events. */
static const uint8_t real42_push_port_ds[80] = {
  0x0d, 0x12, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0x3b, 0x56, 0xff,
  0xfe, 0x83, 0x67, 0x13, 0x00, 0x01, 0x00, 0x00, 0x00, 0x7f, 0x63, 0x61,
  0x70, 0x74, 0x75, 0x72, 0x65, 0x31, 0x00, 0x05, 0x01, 0x01, 0x02, 0x00,
  0x00, 0x01, 0x00, 0x1c, 0x20, 0x04, 0xde, 0x3b, 0x56, 0xff, 0xfe, 0x83,
  0x67, 0x13, 0x00, 0x01, 0x08, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0xfe, 0x03, 0xfe, 0x01, 0x00, 0x02,
};
static const uint8_t real42_push_time_status[104] = {
  0x0d, 0x12, 0x00, 0x68, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0x3b, 0x56, 0xff,
  0xfe, 0x83, 0x67, 0x13, 0x00, 0x00, 0x00, 0x01, 0x00, 0x7f, 0x63, 0x61,
  0x70, 0x74, 0x75, 0x72, 0x65, 0x31, 0x00, 0x05, 0x01, 0x01, 0x02, 0x00,
  0x00, 0x01, 0x00, 0x34, 0xc0, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0x0b, 0x18, 0xee, 0x19, 0xd8, 0xa9, 0x51, 0xbb, 0x1f, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
  0x62, 0xd0, 0xd3, 0xff, 0xfe, 0xdc, 0x76, 0xd7,
};
static const uint8_t real42_subscribe_reply[120] = {
  0x0d, 0x12, 0x00, 0x78, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0x3b, 0x56, 0xff,
  0xfe, 0x83, 0x67, 0x13, 0x00, 0x00, 0x00, 0x01, 0x00, 0x7f, 0x63, 0x61,
  0x70, 0x74, 0x75, 0x72, 0x65, 0x31, 0x00, 0x05, 0x00, 0x00, 0x02, 0x00,
  0x00, 0x01, 0x00, 0x44, 0xc0, 0x03, 0x00, 0x3c, 0x03, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_real42(void)
{
  struct pmc_session s;
  struct pmc_port_identity me = {.clock = {'c', 'a', 'p', 't', 'u', 'r', 'e', '1'}, .port = 5};
  struct pmc_msg m;
  uint8_t b[PMC_MAX_MSG];

  pmc_session_init(&s, &me, 0, 0);
  CHECK_EQ_INT(parse_copy(real42_subscribe_reply, sizeof(real42_subscribe_reply), &m), PMC_OK);
  CHECK(pmc_subscription_has(&m.u.subscription, PMC_NOTIFY_TIME_SYNC));
  /* The identity first, from a DEFAULT_DATA_SET reply of that clock, to us, in domain 0. */
  {
    uint8_t d[20] = {0};
    size_t n;
    memcpy(d + 10, real42_push_port_ds + 20, 8);
    n = build_resp(b, PMC_ID_DEFAULT_DATA_SET, d, sizeof(d));
    b[4] = 0;
    memcpy(b + 20, real42_push_port_ds + 20, 8);
    memcpy(b + 34, me.clock, 8);
    put16(b + 42, 5);
    put16(b + 30, 1);
    pmc_session_sent(&s, 1, PMC_ID_DEFAULT_DATA_SET);
    CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
    CHECK_EQ_INT(pmc_session_check(&s, &m), PMC_REPLY);
  }
  CHECK_EQ_INT(parse_copy(real42_push_port_ds, sizeof(real42_push_port_ds), &m), PMC_OK);
  CHECK_EQ_INT(pmc_session_check(&s, &m), PMC_DROP_UNSOLICITED); /* not subscribed yet */
  pmc_session_sent(&s, 2, PMC_ID_SUBSCRIBE_EVENTS_NP);
  memcpy(b, real42_subscribe_reply, sizeof(real42_subscribe_reply));
  put16(b + 30, 2);
  CHECK_EQ_INT(parse_copy(b, sizeof(real42_subscribe_reply), &m), PMC_OK);
  CHECK_EQ_INT(pmc_session_check(&s, &m), PMC_REPLY);
  CHECK_EQ_INT(parse_copy(real42_push_port_ds, sizeof(real42_push_port_ds), &m), PMC_OK);
  CHECK_EQ_INT(m.sequence, 0);
  CHECK_EQ_INT(pmc_session_check(&s, &m), PMC_PUSH);
  CHECK_EQ_INT(parse_copy(real42_push_time_status, sizeof(real42_push_time_status), &m), PMC_OK);
  CHECK_EQ_INT(m.sequence, 1);
  CHECK_EQ_INT(m.source.port, 0);
  CHECK_EQ_INT(pmc_session_check(&s, &m), PMC_PUSH);
  CHECK_EQ_INT(pmc_session_check(&s, &m), PMC_DROP_SEQUENCE); /* the same again */
  group_done("ptp4l 4.2 pushes");
}

/* Parses b after setting its sequenceId, then judges it in the session. */
static enum pmc_verdict judge(struct pmc_session *s, uint8_t *b, size_t n, uint16_t seq)
{
  struct pmc_msg m;
  enum pmc_parse_error e;

  put16(b + 30, seq);
  e = parse_copy(b, n, &m);
  CHECK(e == PMC_OK || e == PMC_ERR_STATUS);
  return pmc_session_check(s, &m);
}

/* The trust rules: replies only to open requests, the identity only from DEFAULT_DATA_SET,
   pushes only from that identity, once subscribed, in ptp4l's numbering. */
static void test_session(void)
{
  struct pmc_session s;
  struct pmc_port_identity me = {.port = 7};
  uint8_t b[PMC_MAX_MSG], o[PMC_MAX_MSG], d[66];
  size_t n, on;
  uint16_t seq = 0x8000;

  memcpy(me.clock, our_clock, 8);
  pmc_session_init(&s, &me, 24, 0);

  /* Before the identity: no push, no other reply, and a DEFAULT_DATA_SET only in reply. */
  n = port_ds_slave(b);
  CHECK_EQ_INT(judge(&s, b, n, 0), PMC_DROP_EARLY);
  pmc_session_sent(&s, seq, PMC_ID_PORT_DATA_SET);
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_EARLY);
  n = default_ds(b);
  CHECK_EQ_INT(judge(&s, b, n, 0x1234), PMC_DROP_UNSOLICITED);
  CHECK(!s.have_clock);
  pmc_session_sent(&s, ++seq, PMC_ID_DEFAULT_DATA_SET);
  CHECK_EQ_INT(judge(&s, b, n, (uint16_t)(seq + 1)), PMC_DROP_UNSOLICITED);
  /* A DEFAULT_DATA_SET naming another clock than its sender teaches nothing. */
  b[54 + 10] ^= 1;
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_CLOCK);
  b[54 + 10] ^= 1;
  CHECK(!s.have_clock);
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_REPLY);
  CHECK(s.have_clock && pmc_identity_equal(s.clock, ptp4l_clock));
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_REPEATED);

  /* Replies: the sequenceId and the managementId of an open request, once per request (once
     per port for PORT_DATA_SET), from ptp4l's clock, to us, in our domain. */
  n = time_status(b);
  pmc_session_sent(&s, ++seq, PMC_ID_TIME_STATUS_NP);
  CHECK_EQ_INT(judge(&s, b, n, (uint16_t)(seq - 1)), PMC_DROP_UNSOLICITED); /* DDS's sequenceId */
  CHECK_EQ_INT(judge(&s, b, n, 0x8000), PMC_DROP_UNSOLICITED); /* PORT_DATA_SET's, unanswered */
  b[4] = 25;
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_DOMAIN);
  b[4] = 24;
  b[0] = 0x1D;
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_DOMAIN);
  b[0] = 0x0D;
  b[43] = 8;
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_TARGET);
  b[43] = 7;
  b[20] ^= 0x40;
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_CLOCK);
  b[20] ^= 0x40;
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_REPLY);
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_REPEATED);
  n = port_ds_slave(b);
  pmc_session_sent(&s, ++seq, PMC_ID_PORT_DATA_SET);
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_REPLY);
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_DROP_REPEATED);
  put16(b + 54 + 8, 2); /* port 2 answers the same wildcard request */
  CHECK_EQ_INT(judge(&s, b, n, seq), PMC_REPLY);
  put16(b + 54 + 8, 1);
  /* An error reply answers its request like any other. */
  on = build_error(o, PMC_MERR_NOT_SUPPORTED, PMC_ID_TIME_STATUS_NP, 8);
  pmc_session_sent(&s, ++seq, PMC_ID_TIME_STATUS_NP);
  CHECK_EQ_INT(judge(&s, o, on, seq), PMC_REPLY);
  CHECK_EQ_INT(judge(&s, o, on, seq), PMC_DROP_REPEATED);

  /* Pushes: not before ptp4l accepted a subscription with events. */
  CHECK_EQ_INT(judge(&s, b, n, 0), PMC_DROP_UNSOLICITED);
  pmc_subscribe_body(d, 60, 0x03);
  on = build_resp(o, PMC_ID_SUBSCRIBE_EVENTS_NP, d, 66);
  pmc_session_sent(&s, ++seq, PMC_ID_SUBSCRIBE_EVENTS_NP);
  CHECK_EQ_INT(judge(&s, o, on, seq), PMC_REPLY);
  CHECK(s.subscribed);
  /* Only the subscribed datasets, as RESPONSEs. */
  on = time_properties(o);
  CHECK_EQ_INT(judge(&s, o, on, 0), PMC_DROP_UNSOLICITED);
  /* A fresh subscription numbers from 0; a lone push elsewhere is out of sequence. */
  CHECK_EQ_INT(judge(&s, b, n, 0x5000), PMC_DROP_SEQUENCE);
  CHECK_EQ_INT(judge(&s, b, n, 0), PMC_PUSH);
  CHECK_EQ_INT(judge(&s, b, n, 0), PMC_DROP_SEQUENCE); /* a repeat */
  CHECK_EQ_INT(judge(&s, b, n, 1), PMC_PUSH);
  CHECK_EQ_INT(judge(&s, b, n, 1 + PMC_PUSH_AHEAD), PMC_PUSH); /* pushes lost in between */
  CHECK_EQ_INT(judge(&s, b, n, 2 + 2 * PMC_PUSH_AHEAD), PMC_DROP_SEQUENCE);
  CHECK_EQ_INT(judge(&s, b, n, 0x7000), PMC_DROP_SEQUENCE);
  b[20] ^= 0x40;
  CHECK_EQ_INT(judge(&s, b, n, 2 + PMC_PUSH_AHEAD), PMC_DROP_CLOCK);
  b[20] ^= 0x40;
  CHECK_EQ_INT(judge(&s, b, n, 2 + PMC_PUSH_AHEAD), PMC_PUSH);
  /* ptp4l's numbering restarted (a lapsed subscription): a run of consecutive pushes. */
  for (int i = 0; i < PMC_PUSH_RESYNC - 1; i++)
    CHECK_EQ_INT(judge(&s, b, n, (uint16_t)(3 + i)), PMC_DROP_SEQUENCE);
  CHECK_EQ_INT(judge(&s, b, n, (uint16_t)(3 + PMC_PUSH_RESYNC - 1)), PMC_PUSH);
  CHECK_EQ_INT(judge(&s, b, n, (uint16_t)(3 + PMC_PUSH_RESYNC)), PMC_PUSH);
  /* ptp4l gone: identity and subscription are learnt afresh. */
  pmc_session_forget(&s);
  CHECK(!s.have_clock && !s.subscribed);
  CHECK_EQ_INT(judge(&s, b, n, 0), PMC_DROP_EARLY);

  /* Only the last PMC_SESSION_OPEN requests are open. */
  pmc_session_init(&s, &me, 24, 0);
  n = default_ds(b);
  pmc_session_sent(&s, 0xFFFF, PMC_ID_DEFAULT_DATA_SET);
  for (int i = 0; i < PMC_SESSION_OPEN; i++)
    pmc_session_sent(&s, (uint16_t)i, PMC_ID_TIME_STATUS_NP);
  CHECK_EQ_INT(judge(&s, b, n, 0xFFFF), PMC_DROP_UNSOLICITED);
  pmc_session_sent(&s, 0xFFFF, PMC_ID_DEFAULT_DATA_SET);
  CHECK_EQ_INT(judge(&s, b, n, 0xFFFF), PMC_REPLY);
  n = port_ds_slave(b);
  pmc_subscribe_body(d, 60, 0x03);
  on = build_resp(o, PMC_ID_SUBSCRIBE_EVENTS_NP, d, 66);
  pmc_session_sent(&s, 100, PMC_ID_SUBSCRIBE_EVENTS_NP);
  CHECK_EQ_INT(judge(&s, o, on, 100), PMC_REPLY);
  CHECK_EQ_INT(judge(&s, b, n, 0), PMC_PUSH);
  s.push_seq = 0xFFFE;
  CHECK_EQ_INT(judge(&s, b, n, 0xFFFF), PMC_PUSH);
  CHECK_EQ_INT(judge(&s, b, n, 0), PMC_PUSH);
  /* Unsubscribed (an empty bitmask echoed): no more pushes. */
  pmc_subscribe_body(d, 0, 0);
  on = build_resp(o, PMC_ID_SUBSCRIBE_EVENTS_NP, d, 66);
  pmc_session_sent(&s, 101, PMC_ID_SUBSCRIBE_EVENTS_NP);
  CHECK_EQ_INT(judge(&s, o, on, 101), PMC_REPLY);
  CHECK_EQ_INT(judge(&s, b, n, 1), PMC_DROP_UNSOLICITED);
  for (int v = PMC_REPLY; v <= PMC_DROP_SEQUENCE; v++)
    CHECK(strcmp(pmc_verdict_str((enum pmc_verdict)v), "?") != 0);
  group_done("session");
}

int main(void)
{
  test_real42();
  test_session();
  return test_report("pmc_session");
}
