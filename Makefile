# refclock-bridge build. `make` builds build/refclock-bridge; `make check` installs the
# dependencies, builds with -Werror, and runs every test (also under ASan+UBSan);
# `make check-debian13` runs `make check` inside a Debian 13 root (tests/debian13.sh).

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR ?=

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

.PHONY: all tests check check-build check-debian13 demo bench install clean deps fuzz asan openshift

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

demo: deps
	$(MAKE) all $(BUILD)/tests/libfakedev.so
	scripts/demo.sh

bench: deps
	$(MAKE) all $(BUILD)/tests/libfakedev.so
	bench/run.sh

install: all
	install -D -m 0755 $(BUILD)/refclock-bridge $(DESTDIR)$(SBINDIR)/refclock-bridge
	install -D -m 0644 man/refclock-bridge.8 $(DESTDIR)$(MANDIR)/man8/refclock-bridge.8
	install -D -m 0644 man/refclock-bridge.conf.5 $(DESTDIR)$(MANDIR)/man5/refclock-bridge.conf.5
	install -D -m 0644 examples/refclock-bridge.conf \
		$(DESTDIR)$(PREFIX)/share/doc/refclock-bridge/examples/refclock-bridge.conf
	install -D -m 0644 examples/grafana/refclock-bridge.json \
		$(DESTDIR)$(PREFIX)/share/refclock-bridge/grafana/refclock-bridge.json
	mkdir -p $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/sbin/|$(SBINDIR)/|g' systemd/refclock-bridge.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/refclock-bridge.service

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
