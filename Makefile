# refclock-bridge build. `make` builds build/refclock-bridge; `make check` installs the
# dependencies, builds with -Werror, and runs every test (also under ASan+UBSan);
# `make check-debian13` runs `make check` inside a Debian 13 root (tests/debian13.sh).

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR ?=
# Where `make install` puts the service's files (the package: debian/rules; PREFIX=/usr).
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
POLKITRULESDIR ?= $(PREFIX)/share/polkit-1/rules.d
DOCDIR ?= $(PREFIX)/share/doc/refclock-bridge
DATADIR ?= $(PREFIX)/share/refclock-bridge

BUILD ?= build
CC ?= cc
CFLAGS ?= -O2 -g
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

PKGS := libsystemd jansson libgps
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs libsystemd jansson 2>/dev/null || echo -lsystemd -ljansson)
# libgps is loaded on first use (bridge/sources/gps_dl.c), by the soname of the libgps built against.
LIBGPS_SONAME := $(shell objdump -p $$(pkg-config --variable=libdir libgps)/libgps.so 2>/dev/null \
	| awk '/SONAME/ {print $$2}')
LIBGPS_SONAME := $(or $(LIBGPS_SONAME),libgps.so.28)
# iniparser 4.1 (Debian 12) ships no .pc file.
INI_CFLAGS := $(shell pkg-config --cflags iniparser 2>/dev/null || echo -I/usr/include/iniparser)
INI_LIBS := $(shell pkg-config --libs iniparser 2>/dev/null || echo -liniparser)

WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2
ifeq ($(WERROR),1)
WARN += -Werror
endif
HARDEN ?= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
HARDEN_LD ?= -pie -Wl,-z,relro,-z,now
# One include root: a file's includes name the layer they come from ("bridge/core/log.h").
INCLUDES := -I.
ALL_CFLAGS = -std=gnu11 $(WARN) $(HARDEN) $(CFLAGS) $(INCLUDES) $(PKG_CFLAGS) $(INI_CFLAGS) \
	-DRB_VERSION='"$(VERSION)"' -DLIBGPS_SONAME='"$(LIBGPS_SONAME)"'
LIBS = $(PKG_LIBS) $(INI_LIBS)

CORE_SRCS := $(filter-out bridge/main.c,$(wildcard bridge/*.c bridge/*/*.c)) \
	$(wildcard ptpstate/*.c sock/*.c shm/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all tests check check-build check-debian13 demo bench install uninstall deb clean deps fuzz asan openshift image

all: $(BUILD)/refclock-bridge

$(BUILD)/refclock-bridge: $(CORE_OBJS) $(BUILD)/obj/bridge/main.o
	$(CC) $(ALL_CFLAGS) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The version string is compiled into main.o: rebuild it whenever `git describe` changes.
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(VERSION)" ] || echo "$(VERSION)" > $@
$(BUILD)/obj/bridge/main.o: $(BUILD)/version.stamp
FORCE:

# Unit tests link every object but main.o.
$(BUILD)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(HARDEN_LD) -o $@ $< $(CORE_OBJS) $(LIBS)

# The LD_PRELOAD fake /dev/ptpN, and its self-test.
$(BUILD)/tests/libfakedev.so: tests/fake/fakedev.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

$(BUILD)/tests/fakedev_selftest: tests/fake/fakedev_selftest.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -o $@ $<

# Turns a time daemon's clock writes into reads (ntpd-rs in tests/system/28-ntpd-rs.sh).
$(BUILD)/tests/libnoclockwrite.so: tests/fake/noclockwrite.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

tests: all $(UNIT_BINS) $(BUILD)/tests/libfakedev.so $(BUILD)/tests/fakedev_selftest
tests: $(BUILD)/tests/libnoclockwrite.so

# libFuzzer targets (clang), one per parser of outside input.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined $(INCLUDES) $(PKG_CFLAGS) \
		$(INI_CFLAGS) -DLIBGPS_SONAME='"$(LIBGPS_SONAME)"' -o $@ $^ $(LIBS)
fuzz: $(FUZZ_BINS)

asan:
	$(MAKE) BUILD=$(BUILD)/asan WERROR=$(WERROR) HARDEN= HARDEN_LD= \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" tests

deps:
	scripts/deps.sh

check-build:
	$(MAKE) WERROR=1 tests fuzz
	$(MAKE) WERROR=1 asan

check: deps
	$(MAKE) check-build
	tests/run.sh

check-debian13:
	tests/debian13.sh

# OpenShift MachineConfigs for DU nodes, one per role: build/openshift/99-ROLE-refclock-bridge.yaml.
# The bridge installed at OPENSHIFT_PATH, or run by podman from OPENSHIFT_IMAGE when set;
# OPENSHIFT_ARGS passes more options (--instance 1 --exit-after 120 ...).
OPENSHIFT_PATH ?= /usr/local/bin/refclock-bridge
OPENSHIFT_IMAGE ?=
OPENSHIFT_ARGS ?=
openshift:
	@mkdir -p $(BUILD)/openshift
	@for role in master worker; do \
	  out=$(BUILD)/openshift/99-$$role-refclock-bridge.yaml; \
	  python3 systemd/openshift/make-machineconfig --role $$role $(OPENSHIFT_ARGS) \
	    $(if $(OPENSHIFT_IMAGE),--image $(OPENSHIFT_IMAGE),--path $(OPENSHIFT_PATH)) \
	    -o $$out || exit 1; \
	  echo "$$out"; \
	done

# `make image`: the OCI image localhost/refclock-bridge:VERSION (and :latest) from a minimal
# Debian root of this release with the .deb installed, also saved as
# build/image/refclock-bridge-VERSION.oci.tar (scripts/make-image.sh; needs root and podman).
# IMAGE_NAME, PODMAN_ROOT and PODMAN_RUNROOT pass through the environment. The .deb comes from a
# sub-make: the rules of `deb` exist only when it is named on the command line.
image:
	$(MAKE) --no-print-directory deb
	DEB_DIR=$(abspath $(BUILD))/deb IMAGE_DIR=$(abspath $(BUILD))/image scripts/make-image.sh

demo: deps
	$(MAKE) all $(BUILD)/tests/libfakedev.so
	scripts/demo.sh

bench: deps
	$(MAKE) all $(BUILD)/tests/libfakedev.so
	bench/run.sh

# `make install` and the package (debian/rules runs it with PREFIX=/usr) install one set of
# files. The unit names /usr/local/sbin/ and /etc/refclock-bridge.conf: both are rewritten to
# the installed paths. The default configuration is installed only where none exists yet.
EXAMPLES := $(shell cd examples && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
UNIT_SED := -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	-e 's|/etc/refclock-bridge\.conf|$(SYSCONFDIR)/refclock-bridge.conf|g'
# Drop-ins for the consumers that bind the bridge's SOCK sockets as root (grant-sockets).
CONSUMER_DROPINS := chrony.service ntpd-rs.service
install: all
	install -D -m 0755 $(BUILD)/refclock-bridge $(DESTDIR)$(SBINDIR)/refclock-bridge
	install -D -m 0644 man/refclock-bridge.8 $(DESTDIR)$(MANDIR)/man8/refclock-bridge.8
	install -D -m 0644 man/refclock-bridge.conf.5 $(DESTDIR)$(MANDIR)/man5/refclock-bridge.conf.5
	mkdir -p $(DESTDIR)$(UNITDIR)
	sed $(UNIT_SED) systemd/refclock-bridge.service > $(DESTDIR)$(UNITDIR)/refclock-bridge.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/refclock-bridge.service
	for d in $(CONSUMER_DROPINS); do \
	  mkdir -p $(DESTDIR)$(UNITDIR)/$$d.d && \
	  sed $(UNIT_SED) systemd/$$d.d/refclock-bridge.conf > $(DESTDIR)$(UNITDIR)/$$d.d/refclock-bridge.conf && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$d.d/refclock-bridge.conf || exit 1; \
	done
	install -D -m 0644 systemd/refclock-bridge.sysusers $(DESTDIR)$(SYSUSERSDIR)/refclock-bridge.conf
	install -D -m 0644 systemd/refclock-bridge.tmpfiles $(DESTDIR)$(TMPFILESDIR)/refclock-bridge.conf
	install -D -m 0644 systemd/60-refclock-bridge.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-refclock-bridge.rules
	install -D -m 0644 systemd/refclock-bridge.polkit.rules \
		$(DESTDIR)$(POLKITRULESDIR)/60-refclock-bridge.rules
	for f in $(EXAMPLES); do install -D -m 0644 examples/$$f $(DESTDIR)$(DOCDIR)/examples/$$f || exit 1; done
	install -D -m 0644 examples/grafana/refclock-bridge.json \
		$(DESTDIR)$(DATADIR)/grafana/refclock-bridge.json
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/refclock-bridge.conf ]; then \
	  echo "keeping $(DESTDIR)$(SYSCONFDIR)/refclock-bridge.conf"; \
	else \
	  echo "install -D -m 0644 examples/refclock-bridge.default.conf $(DESTDIR)$(SYSCONFDIR)/refclock-bridge.conf"; \
	  install -D -m 0644 examples/refclock-bridge.default.conf $(DESTDIR)$(SYSCONFDIR)/refclock-bridge.conf; \
	fi

# Removes what `make install` installed (same DESTDIR and PREFIX), and the directories that are
# the bridge's own. An edited configuration is kept.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/refclock-bridge \
		$(DESTDIR)$(MANDIR)/man8/refclock-bridge.8 $(DESTDIR)$(MANDIR)/man5/refclock-bridge.conf.5 \
		$(DESTDIR)$(UNITDIR)/refclock-bridge.service \
		$(foreach d,$(CONSUMER_DROPINS),$(DESTDIR)$(UNITDIR)/$(d).d/refclock-bridge.conf) \
		$(DESTDIR)$(SYSUSERSDIR)/refclock-bridge.conf $(DESTDIR)$(TMPFILESDIR)/refclock-bridge.conf \
		$(DESTDIR)$(UDEVRULESDIR)/60-refclock-bridge.rules \
		$(DESTDIR)$(POLKITRULESDIR)/60-refclock-bridge.rules \
		$(DESTDIR)$(DATADIR)/grafana/refclock-bridge.json
	rm -rf $(DESTDIR)$(DOCDIR)/examples
	-rmdir $(foreach d,$(CONSUMER_DROPINS),$(DESTDIR)$(UNITDIR)/$(d).d) 2>/dev/null
	-rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)/grafana $(DESTDIR)$(DATADIR) 2>/dev/null
	@conf=$(DESTDIR)$(SYSCONFDIR)/refclock-bridge.conf; \
	if cmp -s examples/refclock-bridge.default.conf $$conf; then echo "rm -f $$conf"; rm -f $$conf; \
	elif [ -e $$conf ]; then echo "keeping $$conf: it differs from the default"; fi

# `make deb`: build/deb/refclock-bridge_VERSION_ARCH.deb, built by dpkg-buildpackage in a copy
# of what the build and `make install` read (the sources, man pages, systemd files, examples,
# debian/ and this Makefile: git's tracked and untracked files there, not the ignored ones) that
# is removed afterwards. Nothing is done when none of them was added, removed or changed since
# the last build: editing the tests, scripts or documents builds no new package.
ifneq ($(filter deb,$(MAKECMDGOALS)),)
DEB_DIR := $(abspath $(BUILD))/deb
DEB_FILES := $(sort $(wildcard $(shell git ls-files -co --exclude-standard -- Makefile bridge sock shm \
	ptpstate man systemd examples debian 2>/dev/null || find Makefile bridge sock shm ptpstate man \
	systemd examples debian -type f -print)))
$(DEB_DIR)/files.list: FORCE
	@mkdir -p $(dir $@)
	@echo $(DEB_FILES) | tr ' ' '\n' > $@.new
	@if cmp -s $@ $@.new; then rm $@.new; else mv $@.new $@; fi
$(DEB_DIR)/.built: $(DEB_DIR)/files.list $(DEB_FILES)
	rm -rf $(DEB_DIR)/src $(DEB_DIR)/*.deb $(DEB_DIR)/*.changes $(DEB_DIR)/*.buildinfo
	mkdir -p $(DEB_DIR)/src
	@tar -cf - -T $(DEB_DIR)/files.list | tar -xf - -C $(DEB_DIR)/src
	@echo "dpkg-buildpackage -us -uc -b in $(DEB_DIR)/src (log: $(DEB_DIR)/build.log)"
	@cd $(DEB_DIR)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		dpkg-buildpackage -us -uc -b -Jauto > $(DEB_DIR)/build.log 2>&1 \
		|| { tail -n 40 $(DEB_DIR)/build.log; echo "make deb: failed (log above)"; exit 1; }
	rm -rf $(DEB_DIR)/src
	touch $@
deb: $(DEB_DIR)/.built
	@ls $(DEB_DIR)/refclock-bridge_*.deb
endif

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
