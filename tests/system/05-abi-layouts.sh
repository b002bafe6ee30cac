# The wire formats compile, with their size asserts, for 32-bit ABIs: i386 with 32-bit time_t
# (chrony 4.3 there accepts exactly 32 bytes) and with _TIME_BITS=64 (40 bytes).
. "$(dirname "$0")/lib.sh"
echo 'int main(void){return 0;}' > "$T/probe.c"
gcc -m32 -c -o "$T/probe.o" "$T/probe.c" 2>/dev/null || skip "no 32-bit toolchain (gcc-multilib)"
inc="-I."
gcc -m32 -std=gnu11 $inc -c -o "$T/a.o" tests/compile/abi32.c || fail "i386, 32-bit time_t"
gcc -m32 -std=gnu11 -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 $inc -c -o "$T/b.o" tests/compile/abi32.c \
  || fail "i386, 64-bit time_t"
gcc -std=gnu11 $inc -c -o "$T/c.o" tests/compile/abi32.c || fail "x86_64"
# And the sizes really are what the asserts claim: read from the objects' symbol sizes, so
# that a kernel that cannot run i386 binaries (no IA32 emulation) still checks them.
sizes() { # gcc flags...
  printf '#include "sock/sock_sample.h"\n#include "shm/shm_time.h"\nstruct sock_sample sock_size;\nstruct shm_time shm_size;\n' > "$T/s.c"
  gcc "$@" -std=gnu11 $inc -c -o "$T/s.o" "$T/s.c" || fail "build $*"
  local sock shm
  sock=$(nm -S "$T/s.o" | awk '$4 == "sock_size" {print $2}')
  shm=$(nm -S "$T/s.o" | awk '$4 == "shm_size" {print $2}')
  echo "$((16#${sock:-0})) $((16#${shm:-0}))"
}
for v in "-m32" "-m32 -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64" ""; do
  # shellcheck disable=SC2086
  echo "${v:-x86_64}: sock_sample, shmTime = $(sizes $v)"
done
[ "$(sizes -m32)" = "32 80" ] || fail "i386 sizes: $(sizes -m32)"
[ "$(sizes -m32 -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64)" = "40 88" ] || fail "i386 64-bit time_t sizes"
[ "$(sizes)" = "40 96" ] || fail "x86_64 sizes: $(sizes)"
echo ok
