/* Unit tests: the NTP SHM writer handshake and field rules. */
#include <string.h>

#include "shm/shm_time.h"
#include "test.h"

int main(void)
{
  struct shm_time t;

  memset(&t, 0, sizeof(t));
  t.mode = 1;
  CHECK_EQ_INT(sizeof(t), sizeof(time_t) == 8 ? 96 : 80);
  CHECK_EQ_INT(shm_time_key(2), 0x4E545032);

  shm_time_write(&t, 1795305395000123456LL, 1795305358000000999LL, 0, -29);
  CHECK_EQ_INT(t.count, 2);
  CHECK_EQ_INT(t.valid, 1);
  CHECK_EQ_INT(t.mode, 1);
  CHECK_EQ_INT(t.clockTimeStampSec, 1795305395);
  CHECK_EQ_INT(t.clockTimeStampNSec, 123456);
  CHECK_EQ_INT(t.clockTimeStampUSec, 123); /* truncation of nsec / 1000 */
  CHECK_EQ_INT(t.receiveTimeStampSec, 1795305358);
  CHECK_EQ_INT(t.receiveTimeStampNSec, 999);
  CHECK_EQ_INT(t.receiveTimeStampUSec, 0);
  CHECK_EQ_INT(t.leap, 0);
  CHECK_EQ_INT(t.precision, -29);
  CHECK_EQ_INT(t.nsamples, 3);

  /* A reader reset precision: the next write restores it. Leap 3 passes through. */
  t.precision = -30;
  t.valid = 0;
  shm_time_write(&t, 1795305396000999999LL, 1795305359000000000LL, 3, -20);
  CHECK_EQ_INT(t.count, 4);
  CHECK_EQ_INT(t.valid, 1);
  CHECK_EQ_INT(t.precision, -20);
  CHECK_EQ_INT(t.leap, 3);
  CHECK_EQ_INT(t.clockTimeStampUSec, 999);
  return test_report("shm");
}
