/* Unit tests: ptp4l management messages. Requests are checked byte by byte against the layout
   in the linuxptp notes; responses are built here by hand, independently of the module, and
   every malformed datagram is parsed from a heap copy of exactly its length so that ASan sees
   any read past the end. With a directory argument, also writes the fuzz seed corpus there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_build.h"
#include "ptpstate/pmc_msg.h"
#include "test.h"


static void test_encode_get(void)
{
  static const uint16_t ids[] = {
    PMC_ID_DEFAULT_DATA_SET, PMC_ID_CURRENT_DATA_SET, PMC_ID_PARENT_DATA_SET,
    PMC_ID_TIME_PROPERTIES_DATA_SET, PMC_ID_PORT_DATA_SET, PMC_ID_TIME_STATUS_NP,
    PMC_ID_SUBSCRIBE_EVENTS_NP, PMC_ID_SYNCHRONIZATION_UNCERTAIN_NP,
  };
  uint8_t b[PMC_MAX_MSG];

  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    struct pmc_request r = {.transport_specific = 1, .domain = 24, .sequence = (uint16_t)(0x100 + i),
                            .action = PMC_GET, .id = ids[i]};
    memcpy(r.source.clock, our_clock, 8);
    r.source.port = 0xBEEF;
    memset(b, 0xAA, sizeof(b));
    CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 54);
    CHECK_EQ_INT(b[0], 0x1D);
    CHECK_EQ_INT(b[1], 0x02);
    CHECK_EQ_INT(get16(b + 2), 54);
    CHECK_EQ_INT(b[4], 24);
    CHECK_EQ_INT(b[5], 0);
    CHECK_EQ_INT(get16(b + 6), 0);
    for (int k = 8; k < 20; k++)
      CHECK_EQ_INT(b[k], 0); /* correction, reserved */
    CHECK(memcmp(b + 20, our_clock, 8) == 0);
    CHECK_EQ_INT(get16(b + 28), 0xBEEF);
    CHECK_EQ_INT(get16(b + 30), 0x100 + i);
    CHECK_EQ_INT(b[32], 0);
    CHECK_EQ_INT(b[33], 0x7F);
    for (int k = 34; k < 44; k++)
      CHECK_EQ_INT(b[k], 0xFF); /* wildcard target */
    CHECK_EQ_INT(b[44], 0);
    CHECK_EQ_INT(b[45], 0);
    CHECK_EQ_INT(b[46], PMC_GET);
    CHECK_EQ_INT(b[47], 0);
    CHECK_EQ_INT(get16(b + 48), 0x0001);
    CHECK_EQ_INT(get16(b + 50), 2);
    CHECK_EQ_INT(get16(b + 52), ids[i]);
    CHECK_EQ_INT(b[54], 0xAA); /* nothing written past the end */
  }
  group_done("encode GET");
}

static void test_encode_set(void)
{
  uint8_t b[PMC_MAX_MSG], body[66], odd[3] = {1, 2, 3};
  struct pmc_request r = {.domain = 0, .sequence = 9, .action = PMC_SET,
                          .id = PMC_ID_SUBSCRIBE_EVENTS_NP, .data = body, .data_len = sizeof(body)};

  pmc_subscribe_body(body, 180, 1u << PMC_NOTIFY_PORT_STATE | 1u << PMC_NOTIFY_TIME_SYNC);
  CHECK_EQ_INT(body[0], 0);
  CHECK_EQ_INT(body[1], 180);
  CHECK_EQ_INT(body[2], 0x03);
  for (int k = 3; k < 66; k++)
    CHECK_EQ_INT(body[k], 0);
  pmc_subscribe_body(body, 0x1234, 1u << 9 | 1u << 31);
  CHECK_EQ_INT(get16(body), 0x1234);
  CHECK_EQ_INT(body[2 + 1], 0x02);
  CHECK_EQ_INT(body[2 + 3], 0x80);
  pmc_subscribe_body(body, 180, 0x03);

  memset(b, 0xAA, sizeof(b));
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 54 + 66);
  CHECK_EQ_INT(b[0], 0x0D);
  CHECK_EQ_INT(get16(b + 2), 120);
  CHECK_EQ_INT(b[46], PMC_SET);
  CHECK_EQ_INT(get16(b + 50), 68);
  CHECK_EQ_INT(get16(b + 52), PMC_ID_SUBSCRIBE_EVENTS_NP);
  CHECK_EQ_INT(get16(b + 54), 180);
  CHECK_EQ_INT(b[56], 0x03);
  CHECK(memcmp(b + 54, body, 66) == 0);

  /* Odd data: a zero pad byte, counted in both lengths. */
  r.data = odd;
  r.data_len = 3;
  r.id = 0xC0DE;
  memset(b, 0xAA, sizeof(b));
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 58);
  CHECK_EQ_INT(get16(b + 2), 58);
  CHECK_EQ_INT(get16(b + 50), 6);
  CHECK_EQ_INT(b[54], 1);
  CHECK_EQ_INT(b[56], 3);
  CHECK_EQ_INT(b[57], 0);
  CHECK_EQ_INT(b[58], 0xAA);

  pmc_sync_uncertain_body(odd, PMC_SYNC_UNCERTAIN_FALSE);
  r.id = PMC_ID_SYNCHRONIZATION_UNCERTAIN_NP;
  r.data_len = 2;
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 56);
  CHECK_EQ_INT(get16(b + 50), 4);
  CHECK_EQ_INT(b[54], 0);
  CHECK_EQ_INT(b[55], 0);

  /* Does not fit, or is not a request. */
  CHECK_EQ_INT(pmc_encode(b, 55, &r), 0);
  CHECK_EQ_INT(pmc_encode(b, 56, &r), 56);
  r.data_len = PMC_MAX_MSG;
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 0);
  r.data_len = (size_t)-1;
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 0);
  r.data_len = PMC_MAX_MSG - 54;
  r.data = b; /* any bytes */
  {
    static uint8_t big[2 * PMC_MAX_MSG];
    CHECK_EQ_INT(pmc_encode(big, sizeof(big), &r), PMC_MAX_MSG);
    r.data_len = PMC_MAX_MSG - 53; /* padded past the maximum */
    CHECK_EQ_INT(pmc_encode(big, sizeof(big), &r), 0);
  }
  r.data_len = 2;
  r.data = NULL;
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 0);
  r.data_len = 0;
  r.transport_specific = 16;
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 0);
  r.transport_specific = 15;
  r.action = PMC_RESPONSE;
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 0);
  r.action = PMC_GET;
  CHECK_EQ_INT(pmc_encode(b, sizeof(b), &r), 54);
  CHECK_EQ_INT(b[0], 0xFD);
  group_done("encode SET");
}

static void check_header(const struct pmc_msg *m)
{
  CHECK_EQ_INT(m->transport_specific, 0);
  CHECK_EQ_INT(m->version, 2);
  CHECK_EQ_INT(m->domain, 24);
  CHECK_EQ_INT(m->sequence, 0x4242);
  CHECK_EQ_INT(m->flags, 0x0008);
  CHECK(pmc_identity_equal(m->source.clock, ptp4l_clock));
  CHECK_EQ_INT(m->source.port, 1);
  CHECK(pmc_identity_equal(m->target.clock, our_clock));
  CHECK_EQ_INT(m->target.port, 7);
  CHECK_EQ_INT(m->action, PMC_RESPONSE);
}

static void test_parse(void)
{
  uint8_t b[PMC_MAX_MSG], d[66];
  struct pmc_msg m;
  size_t n;

  n = port_ds_slave(b);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  check_header(&m);
  CHECK_EQ_INT(m.id, PMC_ID_PORT_DATA_SET);
  CHECK(pmc_identity_equal(m.u.port_ds.port.clock, ptp4l_clock));
  CHECK_EQ_INT(m.u.port_ds.port.port, 1);
  CHECK_EQ_INT(m.u.port_ds.state, PMC_PS_SLAVE);
  CHECK(strcmp(pmc_port_state_name(m.u.port_ds.state), "SLAVE") == 0);
  CHECK_EQ_INT(m.u.port_ds.log_min_delay_req_interval, 0);
  CHECK_EQ_INT(m.u.port_ds.peer_delay_scaled, -(3 * 65536 + 1));
  CHECK_EQ_INT(m.u.port_ds.log_announce_interval, -3);
  CHECK_EQ_INT(m.u.port_ds.announce_receipt_timeout, 3);
  CHECK_EQ_INT(m.u.port_ds.log_sync_interval, -4);
  CHECK_EQ_INT(m.u.port_ds.delay_mechanism, 1);
  CHECK_EQ_INT(m.u.port_ds.version, 2);

  n = time_status(b);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  check_header(&m);
  CHECK_EQ_INT(m.id, PMC_ID_TIME_STATUS_NP);
  CHECK_EQ_INT(m.u.time_status.master_offset_ns, -1234);
  CHECK_EQ_INT(m.u.time_status.ingress_time_ns, 1795305358123456789LL);
  CHECK_EQ_INT(m.u.time_status.cumulative_scaled_rate_offset, -5000);
  CHECK_EQ_INT(m.u.time_status.scaled_last_gm_phase_change, 77);
  CHECK_EQ_INT(m.u.time_status.gm_time_base_indicator, 3);
  CHECK_EQ_INT(m.u.time_status.gm_present, 1);
  CHECK(pmc_identity_equal(m.u.time_status.gm_identity, gm_clock));

  n = time_properties(b);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK_EQ_INT(m.id, PMC_ID_TIME_PROPERTIES_DATA_SET);
  CHECK_EQ_INT(m.u.time_properties.utc_offset, 37);
  CHECK(m.u.time_properties.utc_offset_valid && m.u.time_properties.ptp_timescale);
  CHECK(m.u.time_properties.leap61 && !m.u.time_properties.leap59);
  CHECK(!m.u.time_properties.time_traceable && !m.u.time_properties.freq_traceable);
  CHECK_EQ_INT(m.u.time_properties.time_source, 0x20);
  put16(d, (uint16_t)-1); /* a negative offset survives */
  d[2] = 0x32;
  d[3] = 0xA0;
  n = build_resp(b, PMC_ID_TIME_PROPERTIES_DATA_SET, d, 4);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK_EQ_INT(m.u.time_properties.utc_offset, -1);
  CHECK(m.u.time_properties.leap59 && !m.u.time_properties.leap61);
  CHECK(m.u.time_properties.time_traceable && m.u.time_properties.freq_traceable);
  CHECK(!m.u.time_properties.utc_offset_valid && !m.u.time_properties.ptp_timescale);

  n = default_ds(b);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK_EQ_INT(m.id, PMC_ID_DEFAULT_DATA_SET);
  CHECK(m.u.default_ds.slave_only);
  CHECK_EQ_INT(m.u.default_ds.number_ports, 1);
  CHECK_EQ_INT(m.u.default_ds.priority1, 128);
  CHECK_EQ_INT(m.u.default_ds.clock_class, 248);
  CHECK_EQ_INT(m.u.default_ds.clock_accuracy, 0xFE);
  CHECK_EQ_INT(m.u.default_ds.variance, 0xFFFF);
  CHECK_EQ_INT(m.u.default_ds.priority2, 127);
  CHECK(pmc_identity_equal(m.u.default_ds.clock_identity, ptp4l_clock));
  CHECK_EQ_INT(m.u.default_ds.domain, 24);

  memset(d, 0, sizeof(d));
  put16(d, 2);
  put64(d + 2, (uint64_t)(int64_t)-(1234 * 65536 + 32768)); /* -1234.5 ns */
  put64(d + 10, (uint64_t)2500 * 65536);
  n = build_resp(b, PMC_ID_CURRENT_DATA_SET, d, 18);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK_EQ_INT(m.u.current_ds.steps_removed, 2);
  CHECK_EQ_INT(m.u.current_ds.offset_scaled, -(1234 * 65536 + 32768));
  CHECK_EQ_INT(m.u.current_ds.delay_scaled, 2500LL * 65536);

  memset(d, 0, sizeof(d));
  memcpy(d, gm_clock, 8);
  put16(d + 8, 3);
  d[10] = 1;
  put16(d + 12, 0xFFFF);
  put32(d + 14, 0x7FFFFFFF);
  d[18] = 100;
  d[19] = 6;
  d[20] = 0x21;
  put16(d + 21, 0x4E5D);
  d[23] = 128;
  memcpy(d + 24, gm_clock, 8);
  n = build_resp(b, PMC_ID_PARENT_DATA_SET, d, 32);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK(pmc_identity_equal(m.u.parent_ds.parent.clock, gm_clock));
  CHECK_EQ_INT(m.u.parent_ds.parent.port, 3);
  CHECK_EQ_INT(m.u.parent_ds.gm_priority1, 100);
  CHECK_EQ_INT(m.u.parent_ds.gm_clock_class, 6);
  CHECK_EQ_INT(m.u.parent_ds.gm_clock_accuracy, 0x21);
  CHECK_EQ_INT(m.u.parent_ds.gm_variance, 0x4E5D);
  CHECK_EQ_INT(m.u.parent_ds.gm_priority2, 128);
  CHECK(pmc_identity_equal(m.u.parent_ds.gm_identity, gm_clock));

  pmc_subscribe_body(d, 180, 0x03);
  n = build_resp(b, PMC_ID_SUBSCRIBE_EVENTS_NP, d, 66);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK_EQ_INT(m.u.subscription.duration, 180);
  CHECK_EQ_INT(m.u.subscription.bitmask[0], 0x03);
  CHECK(pmc_subscription_has(&m.u.subscription, PMC_NOTIFY_PORT_STATE));
  CHECK(pmc_subscription_has(&m.u.subscription, PMC_NOTIFY_TIME_SYNC));
  CHECK(!pmc_subscription_has(&m.u.subscription, 2));
  CHECK(!pmc_subscription_has(&m.u.subscription, 512));

  d[0] = PMC_SYNC_UNCERTAIN_DONT_CARE;
  d[1] = 0;
  n = build_resp(b, PMC_ID_SYNCHRONIZATION_UNCERTAIN_NP, d, 2);
  b[46] = PMC_ACKNOWLEDGE | 0xF0; /* only the low nibble is the action */
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK_EQ_INT(m.action, PMC_ACKNOWLEDGE);
  CHECK_EQ_INT(m.u.sync_uncertain, 0xFF);

  /* ptp4l 3.1.1 sends versionPTP 0x02; transportSpecific is reported. */
  n = port_ds_slave(b);
  b[0] = 0x2D;
  b[1] = 0x02;
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_OK);
  CHECK_EQ_INT(m.transport_specific, 2);
  CHECK_EQ_INT(m.version, 2);
  group_done("parse datasets");
}

static void test_malformed(void)
{
  uint8_t b[PMC_MAX_MSG], d[64] = {0}, *huge;
  struct pmc_msg m;
  size_t n;

  n = port_ds_slave(b);
  CHECK(expect_error("empty", b, 0, PMC_ERR_SHORT));
  CHECK(expect_error("1 byte", b, 1, PMC_ERR_SHORT));
  CHECK(expect_error("33 bytes", b, 33, PMC_ERR_SHORT));
  CHECK(expect_error("header only", b, 34, PMC_ERR_SHORT));
  CHECK(expect_error("53 bytes", b, 53, PMC_ERR_SHORT));
  CHECK(expect_error("truncated", b, n - 1, PMC_ERR_LENGTH));

  put16(b + 2, (uint16_t)(n + 2));
  CHECK(expect_error("messageLength larger", b, n, PMC_ERR_LENGTH));
  put16(b + 2, (uint16_t)(n - 2));
  CHECK(expect_error("messageLength smaller", b, n, PMC_ERR_LENGTH));
  /* messageLength is 16 bits: a datagram 2^16 longer than it says must not match. */
  n = port_ds_slave(b);
  huge = calloc(1, 0x10000 + n);
  memcpy(huge, b, n);
  CHECK(expect_error("messageLength mod 2^16", huge, 0x10000 + n, PMC_ERR_LENGTH));
  free(huge);

  n = port_ds_slave(b);
  b[0] = 0x00;
  CHECK(expect_error("sync message", b, n, PMC_ERR_NOT_MANAGEMENT));
  b[0] = 0x0B;
  CHECK(expect_error("announce message", b, n, PMC_ERR_NOT_MANAGEMENT));
  n = port_ds_slave(b);
  b[1] = 0x01;
  CHECK(expect_error("version 1", b, n, PMC_ERR_VERSION));
  b[1] = 0x13;
  CHECK(expect_error("version 3", b, n, PMC_ERR_VERSION));

  n = port_ds_slave(b);
  b[46] = PMC_GET;
  CHECK(expect_error("action GET", b, n, PMC_ERR_ACTION));
  b[46] = PMC_SET;
  CHECK(expect_error("action SET", b, n, PMC_ERR_ACTION));
  b[46] = PMC_COMMAND;
  CHECK(expect_error("action COMMAND", b, n, PMC_ERR_ACTION));
  b[46] = 5;
  CHECK(expect_error("action 5", b, n, PMC_ERR_ACTION));

  n = port_ds_slave(b);
  put16(b + 48, 0x0003);
  CHECK(expect_error("tlvType 3", b, n, PMC_ERR_TLV));
  put16(b + 48, 0x0000);
  CHECK(expect_error("tlvType 0", b, n, PMC_ERR_TLV));
  n = port_ds_slave(b);
  put16(b + 50, 27);
  CHECK(expect_error("odd lengthField", b, n, PMC_ERR_TLV));
  put16(b + 50, 30);
  CHECK(expect_error("lengthField beyond", b, n, PMC_ERR_TLV));
  put16(b + 50, 0xFFFE);
  CHECK(expect_error("lengthField 0xFFFE", b, n, PMC_ERR_TLV));
  put16(b + 50, 0);
  CHECK(expect_error("lengthField 0", b, n, PMC_ERR_TLV));
  put16(b + 50, 24);
  CHECK(expect_error("bytes after the TLV", b, n, PMC_ERR_TLV));
  /* A second, well-formed TLV after the first is still rejected. */
  n = port_ds_slave(b);
  put16(b + n, 0x0001);
  put16(b + n + 2, 2);
  put16(b + n + 4, PMC_ID_TIME_STATUS_NP);
  put16(b + 2, (uint16_t)(n + 6));
  CHECK(expect_error("two TLVs", b, n + 6, PMC_ERR_TLV));
  /* A zero-length TLV type/length only, lengthField 2 and no data. */
  n = build_resp(b, PMC_ID_PORT_DATA_SET, d, 0);
  CHECK(expect_error("empty PORT_DATA_SET", b, n, PMC_ERR_DATA_SIZE));

  n = build_resp(b, PMC_ID_TIME_STATUS_NP, d, 49);
  CHECK(expect_error("TIME_STATUS_NP 49 (odd lengthField)", b, n, PMC_ERR_TLV));
  put16(b + 50, 52); /* claim the pad byte is there: lengthField even, but past the end */
  CHECK(expect_error("TIME_STATUS_NP 49 padded beyond", b, n, PMC_ERR_TLV));
  n = build_resp(b, PMC_ID_TIME_STATUS_NP, d, 48);
  CHECK(expect_error("TIME_STATUS_NP 48", b, n, PMC_ERR_DATA_SIZE));
  n = build_resp(b, PMC_ID_TIME_STATUS_NP, d, 52);
  CHECK(expect_error("TIME_STATUS_NP 52", b, n, PMC_ERR_DATA_SIZE));
  n = build_resp(b, PMC_ID_PORT_DATA_SET, d, 27);
  CHECK(expect_error("PORT_DATA_SET 27", b, n, PMC_ERR_TLV));
  n = build_resp(b, PMC_ID_PORT_DATA_SET, d, 28);
  CHECK(expect_error("PORT_DATA_SET 28", b, n, PMC_ERR_DATA_SIZE));
  n = build_resp(b, PMC_ID_SYNCHRONIZATION_UNCERTAIN_NP, d, 4);
  CHECK(expect_error("SYNC_UNCERTAIN 4", b, n, PMC_ERR_DATA_SIZE));

  n = build_resp(b, 0x1234, d, 4);
  CHECK(expect_error("unknown id", b, n, PMC_ERR_UNKNOWN_ID));
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_ERR_UNKNOWN_ID);
  CHECK_EQ_INT(m.id, 0x1234);
  n = build_resp(b, 0xC004, d, 20); /* PORT_PROPERTIES_NP: real, but not ours */
  CHECK(expect_error("PORT_PROPERTIES_NP", b, n, PMC_ERR_UNKNOWN_ID));

  n = build_error(b, PMC_MERR_NO_SUCH_ID, PMC_ID_TIME_STATUS_NP, 8);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_ERR_STATUS);
  check_header(&m);
  CHECK_EQ_INT(m.error_code, 2);
  CHECK_EQ_INT(m.id, PMC_ID_TIME_STATUS_NP);
  CHECK(strcmp(pmc_mgmt_error_str(m.error_code), "NO_SUCH_ID") == 0);
  n = build_error(b, PMC_MERR_NOT_SUPPORTED, PMC_ID_SUBSCRIBE_EVENTS_NP, 14); /* + text */
  b[60] = 3;
  memcpy(b + 61, "abc", 3);
  CHECK_EQ_INT(parse_copy(b, n, &m), PMC_ERR_STATUS);
  CHECK_EQ_INT(m.error_code, PMC_MERR_NOT_SUPPORTED);
  CHECK_EQ_INT(m.id, PMC_ID_SUBSCRIBE_EVENTS_NP);
  n = build_error(b, PMC_MERR_NO_SUCH_ID, PMC_ID_TIME_STATUS_NP, 6);
  CHECK(expect_error("error status too short", b, n, PMC_ERR_TLV));
  n = build_error(b, PMC_MERR_NO_SUCH_ID, PMC_ID_TIME_STATUS_NP, 2);
  CHECK(expect_error("error status 2", b, n, PMC_ERR_TLV));
  n = build_error(b, PMC_MERR_NO_SUCH_ID, PMC_ID_TIME_STATUS_NP, 9);
  CHECK(expect_error("error status odd", b, n, PMC_ERR_TLV));

  /* Every truncation of a valid message fails cleanly, whatever messageLength says. */
  n = time_status(b);
  for (size_t k = 0; k < n; k++) {
    enum pmc_parse_error e = parse_copy(b, k, &m);
    CHECK(e == PMC_ERR_SHORT || e == PMC_ERR_LENGTH);
    put16(b + 2, (uint16_t)k);
    e = parse_copy(b, k, &m);
    CHECK(e == (k < 54 ? PMC_ERR_SHORT : PMC_ERR_TLV));
    put16(b + 2, (uint16_t)n);
  }
  group_done("malformed");
}

/* Replies captured from ptp4l 3.1.1 (Debian 12, port on lo, domain 24) to GETs encoded by
   pmc_encode with source identity 00..0042 port 7. */
static const uint8_t real_port_ds[80] = {
  0x0d, 0x02, 0x00, 0x50, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04,
  0x04, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00, 0x07, 0x00, 0x00, 0x02, 0x00,
  0x00, 0x01, 0x00, 0x1c, 0x20, 0x04, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x01,
  0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x01, 0x00, 0x02,
};
static const uint8_t real_no_such_id[60] = {
  0x0d, 0x02, 0x00, 0x3c, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b,
  0x04, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00, 0x07, 0x00, 0x00, 0x02, 0x00,
  0x00, 0x02, 0x00, 0x08, 0x00, 0x02, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00,
};

static void test_real(void)
{
  static const uint8_t ptp4l_id[8] = {0, 0, 0, 0xff, 0xfe, 0, 0, 0};
  static const uint8_t our_id[8] = {0, 0, 0, 0, 0, 0, 0, 0x42};
  struct pmc_msg m;

  CHECK_EQ_INT(parse_copy(real_port_ds, sizeof(real_port_ds), &m), PMC_OK);
  CHECK_EQ_INT(m.domain, 24);
  CHECK_EQ_INT(m.sequence, 4);
  CHECK(pmc_identity_equal(m.source.clock, ptp4l_id));
  CHECK(pmc_identity_equal(m.target.clock, our_id));
  CHECK_EQ_INT(m.target.port, 7);
  CHECK_EQ_INT(m.id, PMC_ID_PORT_DATA_SET);
  CHECK_EQ_INT(m.u.port_ds.port.port, 1);
  CHECK_EQ_INT(m.u.port_ds.state, PMC_PS_LISTENING);
  CHECK_EQ_INT(m.u.port_ds.announce_receipt_timeout, 3);
  CHECK_EQ_INT(m.u.port_ds.delay_mechanism, 1);
  CHECK_EQ_INT(m.u.port_ds.version, 2);
  CHECK_EQ_INT(parse_copy(real_no_such_id, sizeof(real_no_such_id), &m), PMC_ERR_STATUS);
  CHECK_EQ_INT(m.error_code, PMC_MERR_NO_SUCH_ID);
  CHECK_EQ_INT(m.id, 0x1234);
  CHECK_EQ_INT(m.sequence, 11);
  group_done("ptp4l 3.1.1 replies");
}

static void test_names(void)
{
  uint8_t a[8], c[8];

  CHECK(pmc_identity_equal(ptp4l_clock, ptp4l_clock));
  memcpy(a, ptp4l_clock, 8);
  CHECK(pmc_identity_equal(a, ptp4l_clock));
  memcpy(c, ptp4l_clock, 8);
  c[7] ^= 1;
  CHECK(!pmc_identity_equal(c, ptp4l_clock));
  c[7] ^= 1;
  c[0] ^= 0x80;
  CHECK(!pmc_identity_equal(c, a));

  CHECK(strcmp(pmc_port_state_name(PMC_PS_INITIALIZING), "INITIALIZING") == 0);
  CHECK(strcmp(pmc_port_state_name(PMC_PS_LISTENING), "LISTENING") == 0);
  CHECK(strcmp(pmc_port_state_name(PMC_PS_UNCALIBRATED), "UNCALIBRATED") == 0);
  CHECK(strcmp(pmc_port_state_name(PMC_PS_MASTER), "MASTER") == 0);
  CHECK(strcmp(pmc_port_state_name(PMC_PS_GRAND_MASTER), "GRAND_MASTER") == 0);
  CHECK(strcmp(pmc_port_state_name(0), "UNKNOWN") == 0);
  CHECK(strcmp(pmc_port_state_name(11), "UNKNOWN") == 0);
  CHECK(strcmp(pmc_port_state_name(255), "UNKNOWN") == 0);
  for (int e = PMC_OK; e <= PMC_ERR_STATUS; e++)
    CHECK(strcmp(pmc_parse_error_str((enum pmc_parse_error)e), "unknown error") != 0);
  CHECK(strcmp(pmc_mgmt_error_str(0xFFFE), "GENERAL_ERROR") == 0);
  CHECK(strcmp(pmc_mgmt_error_str(99), "UNKNOWN") == 0);
  group_done("names");
}

static int write_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
  char path[4096];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return 0;
  }
  return 1;
}

/* The fuzz seeds: valid responses, a push, and an error status. */
static int write_corpus(const char *dir)
{
  uint8_t b[PMC_MAX_MSG], d[66];
  int ok = 1;

  ok &= write_file(dir, "port-data-set-slave.bin", b, port_ds_slave(b));
  ok &= write_file(dir, "time-status-np.bin", b, time_status(b));
  ok &= write_file(dir, "time-properties.bin", b, time_properties(b));
  ok &= write_file(dir, "default-data-set.bin", b, default_ds(b));
  pmc_subscribe_body(d, 180, 0x03);
  ok &= write_file(dir, "subscribe-events-np.bin", b,
                   build_resp(b, PMC_ID_SUBSCRIBE_EVENTS_NP, d, 66));
  ok &= write_file(dir, "error-no-such-id.bin", b,
                   build_error(b, PMC_MERR_NO_SUCH_ID, PMC_ID_TIME_STATUS_NP, 8));
  return ok;
}

int main(int argc, char **argv)
{
  test_encode_get();
  test_encode_set();
  test_parse();
  test_malformed();
  test_real();
  test_names();
  if (argc > 1)
    CHECK(write_corpus(argv[1]));
  return test_report("pmc_msg");
}
