#!/bin/sh
# check-keys.sh: proves that refclock-bridge.conf(5) documents every configuration key the
# code defines, under the heading of the section it belongs to, and no key the code lacks.
#
# Keys come from the `{.name = "..."` rows of the `struct conf_key` tables in bridge/*.c,
# bridge/*/*.c, sock/*.c, shm/*.c and ptpstate/*.c. A table belongs to a section kind when a
# conf_kind row of bridge/config.c names it (`{.name = "tracker", .named = true, .keys = tracker_common_keys,
# ...}`: heading "[tracker NAME]") or to a driver when a driver names it (`.conf = {.type =
# "ptp4l", .keys = ptp4l_keys`: heading "... with type = ptp4l"). A kind with drivers also has
# the implicit key `type`, and every kind needs a heading of its own ("[bridge]",
# "[source NAME]", "[output NAME]", "[tracker NAME]") even when it has no keys. In the page, a
# key is documented by a `.TP` entry whose tag line is `.B key`, outside any .RS/.RE nesting,
# under a `.SS` heading that starts with "[".
#
# Usage: man/check-keys.sh [PAGE]   (exit 0: all documented; 1: something is missing or stale)
set -eu

man_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$man_dir")
page=${1:-$man_dir/refclock-bridge.conf.5}

[ -r "$page" ] || { echo "check-keys: cannot read $page" >&2; exit 1; }
page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")   # still valid after the cd below
cd "$root"
set -- bridge/*.c bridge/*/*.c sock/*.c shm/*.c ptpstate/*.c

# What the code defines, one record per line:
#   key TABLE NAME FILE:LINE | kind KIND TABLE HAS_DRIVERS DRIVER_ARRAY |
#   driver TYPE TABLE OPS | member DRIVER_ARRAY OPS
# A driver belongs to the kind whose DRIVER_ARRAY (source_drivers, tracker_drivers,
# ...) lists its OPS (`&ptp4l_tracker_ops.conf`), so its keys must sit under that kind's heading.
code=$(awk '
  function quoted(s, field) {
    if (!match(s, field " *= *\"[^\"]*\"")) return ""
    s = substr(s, RSTART, RLENGTH)
    sub(/^[^"]*"/, "", s); sub(/"$/, "", s)
    return s
  }
  function ident(s, field) {
    if (!match(s, field " *= *[A-Za-z_][A-Za-z0-9_]*")) return "-"
    s = substr(s, RSTART, RLENGTH)
    sub(/^[^=]*= */, "", s)
    return s
  }
  FNR == 1 { table = ""; ops = "-"; darray = "" }
  /(const )?struct [A-Za-z_][A-Za-z0-9_]*_ops [A-Za-z_][A-Za-z0-9_]* *= *\{/ {
    match($0, /_ops [A-Za-z_][A-Za-z0-9_]*/)
    ops = substr($0, RSTART + 5, RLENGTH - 5)
  }
  /struct conf_driver \*const [A-Za-z_][A-Za-z0-9_]*\[\] *= *\{/ {
    match($0, /\*const [A-Za-z_][A-Za-z0-9_]*/)
    darray = substr($0, RSTART + 7, RLENGTH - 7)
    next
  }
  darray != "" && /^ *\};/ { darray = ""; next }
  darray != "" && /&[A-Za-z_][A-Za-z0-9_]*\.conf/ {
    match($0, /&[A-Za-z_][A-Za-z0-9_]*/)
    print "member", darray, substr($0, RSTART + 1, RLENGTH - 1)
    next
  }
  /struct conf_key [A-Za-z_][A-Za-z0-9_]*\[\] *= *\{/ {
    match($0, /struct conf_key [A-Za-z_][A-Za-z0-9_]*/)
    table = substr($0, RSTART + 16, RLENGTH - 16)
    next
  }
  table != "" && /^ *\};/ { table = ""; next }
  /\{ *\.name *= *"/ {
    name = quoted($0, "\\.name")
    if (table != "")
      print "key", table, name, FILENAME ":" FNR
    else if ($0 ~ /\.named *=/)
      print "kind", name, ident($0, "\\.keys"), ($0 ~ /\.drivers *= *[A-Za-z_]/ ? "yes" : "no"),
            ident($0, "\\.drivers")
  }
  /\.conf *= *\{ *\.type *= *"/ {
    print "driver", quoted($0, "\\.type"), ident($0, "\\.keys"), ops
  }
' "$@")

# What the page documents, one record per line: HEADING<TAB>KEY<TAB>LINE
docs=$(awk '
  function clean(s) {
    gsub(/\\f[BIRP]/, "", s); gsub(/\\f\(../, "", s); gsub(/\\-/, "-", s); gsub(/"/, "", s)
    sub(/^ +/, "", s); sub(/ +$/, "", s)
    return s
  }
  /^\.\\"/ { next }
  /^\.SH/ { heading = ""; depth = 0; tp = 0; next }
  /^\.SS/ { heading = clean(substr($0, 4)); depth = 0; tp = 0; next }
  /^\.RS/ { depth++; tp = 0; next }
  /^\.RE/ { if (depth > 0) depth--; tp = 0; next }
  /^\.TP/ { tp = 1; next }
  tp {
    tp = 0
    if ($1 == ".B" && depth == 0 && substr(heading, 1, 1) == "[")
      printf "%s\t%s\t%d\n", heading, clean($2), NR
  }
' "$page")

printf '%s\n' "$code" | awk -v docs="$docs" -v page="$(basename "$page")" '
  BEGIN {
    FS = " "
    n = split(docs, lines, "\n")
    for (i = 1; i <= n; i++) {
      if (lines[i] == "") continue
      split(lines[i], f, "\t")
      doc_heading[i] = f[1]; doc_key[i] = f[2]; doc_line[i] = f[3]; ndocs = i
      headings[f[1]] = 1
    }
  }
  $1 == "key" { nkeys++; ntable++; key_table[nkeys] = $2; key_name[nkeys] = $3; key_where[nkeys] = $4 }
  $1 == "kind" {
    kinds[$2] = 1
    if ($5 != "-") kind_of_array[$5] = $2
    if ($3 != "-") { scope_kind[$3] = $2 }
    if ($4 == "yes") { nkeys++; key_table[nkeys] = "(" $2 ")"; key_name[nkeys] = "type"
                       key_where[nkeys] = "implicit"; scope_kind["(" $2 ")"] = $2 }
  }
  $1 == "driver" { drivers[$2] = 1; if ($3 != "-") scope_type[$3] = $2; driver_ops[$2] = $4 }
  $1 == "member" { array_of_ops[$3] = $2 }

  # Does heading h belong to the section kind k, or to driver type t (of its own kind)?
  function in_kind(h, k) { return index(h, "[" k " ") == 1 || h == "[" k "]" }
  function is_type(h, t) {
    if ((t in type_kind) && !in_kind(h, type_kind[t])) return 0
    return h ~ ("type = " t "$") || h ~ ("type = " t "[^A-Za-z0-9_.-]")
  }
  function scope_ok(h, j) {
    if (key_table[j] in scope_type) return is_type(h, scope_type[key_table[j]])
    if (key_table[j] in scope_kind) return in_kind(h, scope_kind[key_table[j]]) && h !~ /type =/
    return 1
  }
  function scope_name(j,    t) {
    if (key_table[j] in scope_type) {
      t = scope_type[key_table[j]]
      return "[" ((t in type_kind) ? type_kind[t] " NAME" : "...") "] with type = " t
    }
    if (key_table[j] in scope_kind) return "[" scope_kind[key_table[j]] (scope_kind[key_table[j]] == "bridge" ? "]" : " NAME]")
    return "(any section)"
  }
  END {
    if (nkeys == 0) { print "check-keys: no keys found in the code: has the table format changed?"; exit 1 }
    bad = 0
    for (t in driver_ops) {
      a = array_of_ops[driver_ops[t]]
      if (a != "" && (a in kind_of_array)) type_kind[t] = kind_of_array[a]
      else printf "note: type %s is listed by no section kind; its heading is matched by type only\n", t
    }
    for (j = 1; j <= nkeys; j++) {
      found = 0
      for (i = 1; i <= ndocs; i++)
        if (doc_key[i] == key_name[j] && scope_ok(doc_heading[i], j)) { found = i; break }
      if (!(key_table[j] in scope_type) && !(key_table[j] in scope_kind))
        printf "note: table %s (%s) belongs to no section kind or driver; checked anywhere\n", key_table[j], key_where[j]
      if (found)
        printf "ok       %-22s %-34s %s line %d\n", key_name[j], scope_name(j), page, doc_line[found]
      else {
        printf "MISSING  %-22s %-34s defined at %s\n", key_name[j], scope_name(j), key_where[j]
        bad++
      }
    }
    for (t in drivers) {
      hit = 0
      for (h in headings) if (is_type(h, t)) hit = 1
      if (!hit) {
        printf "MISSING  heading for type = %s%s\n", t, (t in type_kind) ? " under [" type_kind[t] " NAME]" : ""
        bad++
      }
    }
    # Every section kind has its own heading, without a type: "[tracker NAME]", "[bridge]".
    for (k in kinds) {
      hit = 0
      for (h in headings) if (in_kind(h, k) && h !~ /type =/) hit = 1
      if (!hit) { printf "MISSING  heading for section kind %s\n", k; bad++ }
    }
    # Entries in key lists that the code does not define, or that sit under the wrong heading.
    for (i = 1; i <= ndocs; i++) {
      known = 0
      for (j = 1; j <= nkeys; j++)
        if (doc_key[i] == key_name[j] && scope_ok(doc_heading[i], j)) known = 1
      if (!known) {
        printf "STALE    %-22s %-34s %s line %d: not a key of this section in the code\n", doc_key[i], doc_heading[i], page, doc_line[i]
        bad++
      }
    }
    if (bad) { printf "check-keys: %d problem(s)\n", bad; exit 1 }
    printf "check-keys: all %d keys of the code tables and %d implicit type keys are documented in %s, and nothing else\n", ntable, nkeys - ntable, page
  }
'
