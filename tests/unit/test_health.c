/* Unit tests: outages are logged once, counted with their duration, and run the backoff; the
   report shows them. */
#include <string.h>

#include "bridge/core/health.h"
#include "bridge/core/log.h"
#include "test.h"

int main(void)
{
  struct health h;
  struct health_report r;
  int64_t d1, d2, d3;

  log_init(true, LOG_ERR);
  health_init(&h, "source", "gps0", NS_PER_SEC / 2, 4 * NS_PER_SEC);
  health_report(&h, &r);
  CHECK(!r.down && r.outages == 0 && r.outage_ns == 0 && r.last_error[0] == '\0');
  CHECK(!health_up(&h, "up")); /* no outage: nothing to end */

  d1 = health_down(&h, "cannot open %s: %s", "/dev/ptp0", "No such file or directory");
  d2 = health_down(&h, "cannot open %s: %s", "/dev/ptp0", "Permission denied");
  d3 = health_down(&h, "again");
  CHECK(d1 > 0 && d2 > d1 && d3 > d2 && d3 <= 4 * NS_PER_SEC);
  health_report(&h, &r);
  CHECK(r.down && r.outages == 1); /* one outage, however many failed attempts */
  CHECK(strcmp(r.last_error, "again") == 0);
  CHECK(r.since_ns > 0 && r.last_error_ns >= r.since_ns);

  CHECK(health_up(&h, "%s is back", "/dev/ptp0"));
  health_report(&h, &r);
  CHECK(!r.down && r.outages == 1 && r.outage_ns >= 0);
  CHECK(strcmp(r.last_error, "again") == 0); /* the last error stays for the admin */
  /* The backoff starts over after a recovery. */
  CHECK_EQ_INT(health_down(&h, "lost"), d1);
  health_report(&h, &r);
  CHECK_EQ_INT(r.outages, 2);

  /* Errors that are no outage are only recorded; long ones are cut to the report's size. */
  {
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    health_error(&h, "%s", big);
    health_report(&h, &r);
    CHECK_EQ_INT(strlen(r.last_error), REPORT_TEXT_MAX - 1);
    CHECK_EQ_INT(r.outages, 2);
  }
  /* A fixed retry delay (min == max) does not grow. */
  health_init(&h, "output", "s", NS_PER_SEC / 2, NS_PER_SEC / 2);
  CHECK_EQ_INT(health_down(&h, "a"), NS_PER_SEC / 2);
  CHECK_EQ_INT(health_down(&h, "b"), NS_PER_SEC / 2);
  return test_report("health");
}
