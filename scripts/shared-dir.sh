#!/bin/sh
# Prints the directory of the shared peers and references (`../shared`, holding e.g.
# peers/statime) that sits beside the checkout, or nothing. A clean clone elsewhere (as CI
# makes) finds it beside the local repository it was cloned from, or at the development
# machines' fixed place (/work/shared). RB_SHARED overrides.
repo=$(cd "$(dirname "$0")/.." && pwd)
for d in "${RB_SHARED:-}" "$repo/../shared" \
  "$(git -C "$repo" remote get-url origin 2>/dev/null | sed -n 's|^\(file://\)\{0,1\}\(/.*\)|\2|p')/../shared" /work/shared; do
  case "$d" in /../shared | "") continue ;; esac
  [ -d "$d/peers" ] && { (cd "$d" && pwd); exit 0; }
done
exit 0
