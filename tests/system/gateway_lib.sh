# A PTP-to-NTP gateway under test (test 75): a booted Debian container (nspawn_lib.sh) in a
# network namespace of its own, joined by veths to three others:
#   rbptp$$  10.77.2.1  a real ptp4l grandmaster        <->  gateway 10.77.2.2 (gwptp)
#   rbup$$   10.77.3.1  an upstream NTP server (chronyd) <->  gateway 10.77.3.2 (gwup)
#   rblan$$  10.77.1.1  the Ansible controller and an NTP client <-> gateway 10.77.1.2 (gwlan)
# The container installs packages with apt from a partial copy of the Debian archive (the real
# signed InRelease and Packages, and the .debs it needs), bind-mounted at /srv/debian: it has
# no route to the Internet.
GW_NS=rbgw$$ GW_LAN=rblan$$ GW_UP=rbup$$
GW_MIRROR=

# gw_mirror PKGS...: sets GW_MIRROR to a cached partial archive holding PKGS and everything
# they need on top of the root ns_root made ($NS_CACHE). Made once per root and package list.
gw_mirror() {
  local codename key m tmp
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  key=$( { stat -c %Y "$NS_CACHE/.ready"; echo "$*" | tr ' ' '\n' | sort -u; } | md5sum | cut -c1-8)
  GW_MIRROR=$NS_CACHE_DIR/mirror-$codename-$key
  exec 7> "$GW_MIRROR.lock"
  flock 7
  if [ ! -e "$GW_MIRROR/.ready" ]; then
    local start; start=$(date +%s)
    note "a partial archive with $* (once; cached in $GW_MIRROR)"
    tmp=$T/mirror-root
    rm -rf "$tmp" "$GW_MIRROR.new"
    cp -a "$NS_CACHE" "$tmp"
    { ns_chroot_in "$tmp" apt-get update -q &&
      ns_chroot_in "$tmp" apt-get install -y -q --download-only "$@"; } > "$T/mirror.log" 2>&1 \
      || { tail -n 20 "$T/mirror.log"; fail "apt-get --download-only $* failed"; }
    m=$GW_MIRROR.new
    mkdir -p "$m/dists/$codename/main/binary-amd64"
    cp "$tmp"/var/lib/apt/lists/*_dists_"${codename}"_InRelease "$m/dists/$codename/InRelease"
    cp "$tmp"/var/lib/apt/lists/*_dists_"${codename}"_main_binary-amd64_Packages \
      "$m/dists/$codename/main/binary-amd64/Packages"
    # apt on a file: archive asks for the Packages.xz the signed InRelease names.
    local sha
    sha=$(awk '/^SHA256:/ {s = 1; next} /^[^ ]/ {s = 0} s && $3 == "main/binary-amd64/Packages.xz" {print $1}' \
      "$m/dists/$codename/InRelease")
    /usr/lib/apt/apt-helper download-file "$("$HERE/../../scripts/debian-root.sh" mirror)/dists/$codename/main/binary-amd64/Packages.xz" \
      "$m/dists/$codename/main/binary-amd64/Packages.xz" "SHA256:$sha" >> "$T/mirror.log" 2>&1 \
      || { tail -n 5 "$T/mirror.log"; fail "cannot fetch the archive's Packages.xz"; }
    # Each .deb where the archive keeps it (its Filename in Packages).
    local deb pkg ver file
    for deb in "$tmp"/var/cache/apt/archives/*.deb; do
      pkg=$(dpkg-deb -f "$deb" Package) ver=$(dpkg-deb -f "$deb" Version)
      file=$(awk -v p="$pkg" -v v="$ver" '
        /^Package: / {pk = $2} /^Version: / {vr = $2}
        /^Filename: / && pk == p && vr == v {print $2; exit}' "$m/dists/$codename/main/binary-amd64/Packages")
      [ -n "$file" ] || fail "$pkg $ver is not in the archive's Packages"
      mkdir -p "$m/$(dirname "$file")"
      mv "$deb" "$m/$file"
    done
    rm -rf "$tmp"
    touch "$m/.ready"
    mv "$m" "$GW_MIRROR"
    note "archive made in $(( $(date +%s) - start )) s: $(find "$GW_MIRROR/pool" -name '*.deb' | wc -l) packages"
  fi
  flock -u 7
}

# gw_root_prepare: the container's root as a freshly provisioned server: apt on the partial
# archive, the controller's ssh key for root, services started by packages as usual.
gw_root_prepare() {
  local codename
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  echo "deb file:/srv/debian $codename main" > "$NS_ROOT/etc/apt/sources.list"
  echo 'Acquire::Languages "none";' > "$NS_ROOT/etc/apt/apt.conf.d/90rbtest"
  rm -f "$NS_ROOT/usr/sbin/policy-rc.d"
  rm -rf "$NS_ROOT"/var/lib/apt/lists/*_*
  mkdir -p "$T/home"
  ssh-keygen -q -t ed25519 -N '' -f "$T/id" -C rbtest
  install -d -m 700 "$NS_ROOT/root/.ssh"
  install -m 600 "$T/id.pub" "$NS_ROOT/root/.ssh/authorized_keys"
  echo gateway > "$NS_ROOT/etc/hostname"
}

# gw_netns: the four namespaces and their veths.
gw_netns() {
  local ns
  NS_M=rbptp$$
  for ns in "$GW_NS" "$NS_M" "$GW_UP" "$GW_LAN"; do
    ip netns add "$ns" || fail "cannot create network namespace $ns"
    NETNS+=("$ns")
    ip -n "$ns" link set lo up
  done
  gw_veth "$NS_M" "vm$$" 10.77.2.1 gwptp 10.77.2.2
  gw_veth "$GW_UP" "vu$$" 10.77.3.1 gwup 10.77.3.2
  gw_veth "$GW_LAN" "vl$$" 10.77.1.1 gwlan 10.77.1.2
}
gw_veth() { # NS IF ADDR GW_IF GW_ADDR
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$GW_NS" || fail "cannot create a veth pair"
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$GW_NS" addr add "$5/24" dev "$4"
  ip -n "$1" link set "$2" up
  ip -n "$GW_NS" link set "$4" up
}

# gw_chronyd NAME NETNS CONF_LINES: a chronyd of the test's (upstream or client) in a
# namespace, -x and without CAP_SYS_TIME; chronyc through gw_chronyc NAME.
gw_chronyd() {
  local d=$T/$1
  mkdir -p -m 700 "$d"
  cat > "$d/chrony.conf" <<CONF
pidfile $d/chronyd.pid
driftfile $d/drift
bindcmdaddress $d/chronyd.sock
cmdport 0
$3
CONF
  ip netns exec "$2" $NOTIME chronyd -x -d -u root -f "$d/chrony.conf" >> "$T/$1.log" 2>&1 &
  PIDS+=($!)
  wait_for 5 test -S "$d/chronyd.sock" || fail "chronyd ($1) did not start"
}
gw_chronyc() { local n=$1; shift; chronyc "${CHRONYC_ARGS[@]}" -h "$T/$n/chronyd.sock" "$@"; }

# gw_ansible PLAYBOOK [ARGS...]: ansible-playbook from the LAN namespace, over ssh.
gw_ansible() {
  ip netns exec "$GW_LAN" env HOME="$T/home" ANSIBLE_HOST_KEY_CHECKING=False \
    ANSIBLE_SSH_CONTROL_PATH_DIR="$T/cp" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
    ANSIBLE_PIPELINING=True ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=False \
    ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks \
    ansible-playbook -i "$T/inventory.yml" "$@"
}
