/* Compiled (not run) for 32-bit ABIs: the _Static_asserts in the wire-format headers check the
   32-byte sock_sample and 80-byte shmTime with 32-bit time_t, and 40/88 bytes with 64-bit
   time_t on i386. */
#include "shm/shm_time.h"
#include "sock/sock_sample.h"

int abi32_sizes[] = {(int)sizeof(struct sock_sample), (int)sizeof(struct shm_time)};
