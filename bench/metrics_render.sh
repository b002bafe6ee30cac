#!/usr/bin/env bash
# Instructions per metrics_prom_render() of a realistic snapshot (bench/metrics_render.c):
# callgrind of N=1 and N=21 renders, (Ir(21) - Ir(1)) / 20; then checks that the text equals
# bench/metrics_render.ref byte for byte. Not part of `make bench` or the tests.
#   BUILD=build bench/metrics_render.sh        (builds $BUILD first with make)
#   bench/metrics_render.sh --update-ref       (writes the reference from the current code)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REF=bench/metrics_render.ref
OUT=$BUILD/bench-metrics
mkdir -p "$OUT"

make -s BUILD="$BUILD" all >/dev/null
mapfile -t OBJS < <(find "$BUILD/obj" -name '*.o' ! -path "$BUILD/obj/bridge/main.o" | sort)
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Wextra -Werror -O2 -g -I. -o "$OUT/metrics_render" bench/metrics_render.c \
  "${OBJS[@]}" $(pkg-config --libs libsystemd jansson 2>/dev/null || echo -lsystemd -ljansson) \
  $(pkg-config --libs iniparser 2>/dev/null || echo -liniparser)

if [ "${1:-}" = --update-ref ]; then
  "$OUT/metrics_render" 1 "$REF"
  exit 0
fi

ir() { # N: the program's total instructions for N renders
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$1" \
    "$OUT/metrics_render" "$1" "$OUT/text.$1" >/dev/null 2>"$OUT/valgrind.$1"
  awk '/^summary:/ {print $2}' "$OUT/callgrind.$1"
}
IR1=$(ir 1)
IR21=$(ir 21)
echo "instructions per render: $(( (IR21 - IR1) / 20 )) (Ir N=1 $IR1, N=21 $IR21)"
"$OUT/metrics_render" 1 "$OUT/text" "$REF"
echo "callgrind profile of 21 renders: $OUT/callgrind.21 (callgrind_annotate it)"
