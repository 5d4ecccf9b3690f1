# gilspy - a GIL-aware sampling profiler for CPython.
#
#   make                 build ./gilspy (installs missing build deps when root)
#   make test            unit + functional tests (TAP through prove)
#   make check           the same, with SANITIZE=address,undefined honoured
#   make demo            record the bundled example and write demo/ outputs
#   make install PREFIX=/usr/local DESTDIR=
#   make uninstall       the same PREFIX and DESTDIR
#   V=1                  show full commands
#   SANITIZE=address,undefined   build with sanitizers
#   make fuzz            libFuzzer harnesses (clang), FUZZ_SECONDS=N each
#                        (default 10), FUZZ="raw elf" for some of them
#
# Besides ./gilspy, `make` links ./gilspy-hooks (./gilspy-san-hooks with
# SANITIZE): the same program with the test hooks of src/cmd/testhooks.c
# compiled in, for the few tests that need one (they find it as
# $GILSPY_HOOKS, else $GILSPY-hooks).  It is never installed.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
BUILD ?= build
PKGS = libelf zlib ncursesw libunwind libunwind-generic libprotobuf-c
PROTOC_C ?= protoc-c

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wno-format-nonliteral
OPT ?= -O2 -g
CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) -Iinclude -I$(BUILD)/gen \
	-DGILSPY_VERSION='"$(VERSION)"' -D_GNU_SOURCE -MMD -MP \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm $(LDLIBS)

ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
BUILD := $(BUILD)/san
endif

ifeq ($(V),1)
Q =
else
Q = @
endif

SRCS := $(wildcard src/*/*.c) $(wildcard flamegraph/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SRCS))
MAIN_OBJ := $(BUILD)/src/main.o
UNIT_SRCS := $(wildcard tests/unit/*.c) tests/fuzz/entries.c
UNIT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRCS))

# The test build differs from gilspy in one object: the hooks.
HOOKS_SRC := src/cmd/testhooks.c
HOOKS_OBJ := $(BUILD)/hooks/src/cmd/testhooks.o
BIN := gilspy$(if $(SANITIZE),-san)
HOOKS_BIN := $(BIN)-hooks

# Files embedded in the binary (the flame graph's JS and CSS).
EMBED := $(wildcard flamegraph/*.js flamegraph/*.css)
EMBED_C := $(BUILD)/gen/embedded.c
EMBED_O := $(BUILD)/gen/embedded.o

# pprof's profile.proto, compiled by protoc-c into C that the pprof
# renderer (src/output/pprof.c) packs with libprotobuf-c.
PROTO := proto/profile.proto
PROTO_C := $(BUILD)/gen/profile.pb-c.c
PROTO_H := $(BUILD)/gen/profile.pb-c.h
PROTO_O := $(BUILD)/gen/profile.pb-c.o

.PHONY: all build deps test check demo install clean unit functional bench \
	fuzz fuzz-objs

all: deps
	$(Q)$(MAKE) --no-print-directory build

deps:
	$(Q)scripts/deps.sh

build: $(BIN) $(HOOKS_BIN) $(BUILD)/unit-tests

$(BIN): $(MAIN_OBJ) $(LIB_OBJS) $(EMBED_O) $(PROTO_O)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(HOOKS_BIN): $(MAIN_OBJ) $(filter-out $(BUILD)/$(HOOKS_SRC:.c=.o),$(LIB_OBJS)) \
	      $(HOOKS_OBJ) $(EMBED_O) $(PROTO_O)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(HOOKS_OBJ): $(HOOKS_SRC)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (test hooks)"
	$(Q)$(CC) $(CFLAGS_ALL) -DGILSPY_TEST_HOOKS -c -o $@ $<

$(BUILD)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS) $(EMBED_O) $(PROTO_O)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(EMBED_C): $(EMBED) scripts/embed.sh
	@mkdir -p $(dir $@)
	@echo "  EMBED   $@"
	$(Q)scripts/embed.sh $@ $(EMBED)

$(EMBED_O): $(EMBED_C)
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(PROTO_H): $(PROTO)
	@mkdir -p $(dir $@)
	@echo "  PROTOC  $<"
	$(Q)$(PROTOC_C) --proto_path=$(dir $<) --c_out=$(dir $@) $<

$(PROTO_C): $(PROTO_H)

$(PROTO_O): $(PROTO_C)
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

# Everything that includes the embedded table or the generated protobuf
# header must wait for them.
$(LIB_OBJS) $(MAIN_OBJ) $(HOOKS_OBJ) $(UNIT_OBJS): | $(EMBED_C) $(PROTO_H)

test: all
	$(Q)GILSPY=$(CURDIR)/gilspy GILSPY_HOOKS=$(CURDIR)/gilspy-hooks \
	    UNIT=$(CURDIR)/$(BUILD)/unit-tests tests/run.sh

check: deps
	$(Q)$(MAKE) --no-print-directory build SANITIZE=$(SANITIZE)
	$(Q)GILSPY=$(CURDIR)/$(BIN) GILSPY_HOOKS=$(CURDIR)/$(HOOKS_BIN) \
	    UNIT=$(CURDIR)/$(BUILD)/unit-tests \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

demo: all
	$(Q)scripts/demo.sh $(CURDIR)/gilspy

bench: all
	$(Q)for b in bench/*.sh; do echo "== $$b"; bash $$b $(CURDIR)/gilspy || exit 1; done

# The harnesses of tests/fuzz/ (scripts/fuzz.sh builds the library with
# clang through fuzz-objs, then links one harness per reader).
FUZZ_SECONDS ?= 10
fuzz: deps
	$(Q)scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ)

fuzz-objs: $(LIB_OBJS) $(EMBED_O) $(PROTO_O)
	$(Q)echo $^ >$(BUILD)/fuzz-objs.list

# DESTDIR stages the install (packaging, tests) and needs no root.
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
MANPAGES := $(wildcard man/*.1)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 gilspy $(DESTDIR)$(BINDIR)/gilspy
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/

.PHONY: uninstall
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/gilspy \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))

clean:
	rm -rf build gilspy gilspy-san gilspy-hooks gilspy-san-hooks

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJS:.o=.d) $(HOOKS_OBJ:.o=.d)
