# Docs land with the code: both man pages render without warnings and refclock-bridge.conf(5)
# documents every key of the code's tables, and nothing else.
. "$(dirname "$0")/lib.sh"
command -v groff >/dev/null || skip "groff is not installed (make deps)"
for page in man/refclock-bridge.8 man/refclock-bridge.conf.5; do
  groff -man -ww -z "$page" 2> "$T/warn" || fail "$page does not render"
  [ -s "$T/warn" ] && { cat "$T/warn"; fail "$page renders with warnings"; }
  echo "ok $page renders cleanly"
done
sh man/check-keys.sh || fail "refclock-bridge.conf(5) is out of step with the key tables"
# The README's set-up section has exactly the two commands.
cmds=$(awk '/^## Set up/{f=1;next} /^## /{f=0} f && /^make /{print $1" "$2}' README.md | tr '\n' ',')
[ "$cmds" = "make demo,make check," ] || fail "README set-up commands are '$cmds'"
echo ok
