# The wire formats compile, with their size asserts, for 32-bit ABIs: i386 with 32-bit time_t
# (chrony 4.3 there accepts exactly 32 bytes) and with _TIME_BITS=64 (40 bytes).
. "$(dirname "$0")/lib.sh"
echo 'int main(void){return 0;}' > "$T/probe.c"
gcc -m32 -o "$T/probe" "$T/probe.c" 2>/dev/null || skip "no 32-bit toolchain (gcc-multilib)"
inc="-Ishm -Isock"
gcc -m32 -std=gnu11 $inc -c -o "$T/a.o" tests/compile/abi32.c || fail "i386, 32-bit time_t"
gcc -m32 -std=gnu11 -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 $inc -c -o "$T/b.o" tests/compile/abi32.c \
  || fail "i386, 64-bit time_t"
gcc -std=gnu11 $inc -c -o "$T/c.o" tests/compile/abi32.c || fail "x86_64"
# And the sizes really are what the asserts claim:
for v in "-m32" "-m32 -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64" ""; do
  printf '#include "sock_sample.h"\n#include "shm_time.h"\n#include <stdio.h>\nint main(void){printf("%%zu %%zu\\n",sizeof(struct sock_sample),sizeof(struct shm_time));return 0;}\n' > "$T/s.c"
  gcc $v -std=gnu11 $inc -o "$T/s" "$T/s.c" || fail "build $v"
  echo "${v:-x86_64}: sock_sample, shmTime = $("$T/s")"
done
[ "$(gcc -m32 -std=gnu11 $inc -o "$T/s" "$T/s.c" && "$T/s")" = "32 80" ] || fail "i386 sizes"
echo ok
