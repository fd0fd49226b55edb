# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Out-of-tree build into $(BUILD): bpf/*.bpf.c -> *.bpf.o -> *.skel.h -> agent.
#   make            the BPF object, its skeleton and the iotfence binary
#   make test       build and run every test (as root): unit, datapath, integration
#   make demo       the lab demo (scripts/demo.sh)
#   make fresh-check  make demo and make test on a fresh Debian root (debootstrap)
#   make cross-arm64  the agent and BPF object for arm64, in $(BUILD)-arm64
#   make bench      the benchmarks (scripts/bench.sh), table in $(BUILD)/bench.md
#   make install    PREFIX=/usr/local DESTDIR=
# BUILD=dir builds elsewhere, so that several trees of objects can coexist.

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool

# Tools the build cannot do without are named up front, not left to fail
# inside a recipe with a compiler error.
NEED_TOOLS := $(CLANG) $(BPFTOOL) pkg-config
# Headers the build needs (check.h: the tests; a cross build of the agent
# alone leaves it out).
NEED_HDRS := bpf/libbpf.h libelf.h zlib.h pcap/pcap.h jansson.h check.h

ARCH_INCLUDE := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)

WARN := -Wall -Wextra -Werror
# -fno-strict-aliasing, as the kernel builds: the datapath reads addresses and
# keys as whole words wherever it wrote them bytewise (or the other way).
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -fno-strict-aliasing $(WARN) -Iinclude -Ibpf \
	-idirafter $(ARCH_INCLUDE)
CFLAGS ?= -O2 -g
AGENT_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent -I$(BUILD)
AGENT_LIBS := -lbpf -lelf -lz -lpcap -ljansson
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/lib/*.h) include/iotfence.h

AGENT_SRCS := $(wildcard agent/*.c)
AGENT_HDRS := $(wildcard agent/*.h) include/iotfence.h
# Everything but main.c is a library that the tests link as well.
LIB_SRCS := $(filter-out agent/main.c,$(AGENT_SRCS))
LIB_OBJS := $(patsubst agent/%.c,$(BUILD)/agent/%.o,$(LIB_SRCS))
SAN_OBJS := $(patsubst agent/%.c,$(BUILD)/san/%.o,$(LIB_SRCS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
BPFT_SRCS := $(wildcard tests/bpf/*.c)
TEST_BINS := $(BUILD)/tests/unit_tests $(BUILD)/tests/bpf_tests
# Helpers that integration tests run (tests/tools/NAME.c -> $(BUILD)/tests/NAME).
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(wildcard tests/tools/*.c))
TEST_BINS += $(TOOL_BINS)
# The differential run (tests/diff): the reference model against the program.
# Every file there but flood.c (a tool of its own).
DIFF_SRCS := $(filter-out tests/diff/flood.c,$(wildcard tests/diff/*.c))
TEST_BINS += $(BUILD)/tests/diff_driver $(BUILD)/tests/ifn_flood
# libFuzzer harnesses (tests/fuzz) of the policy parser and the snapshot
# reader, built with clang over the pure sources they need.
FUZZ_LIB := agent/file.c agent/policy_parse.c agent/snapshot_fmt.c agent/snapshot_data.c agent/snapshot_gz.c agent/parse.c agent/format.c \
	agent/rules.c agent/devices.c agent/settings.c agent/state.c agent/errors.c agent/output.c \
	agent/mud.c agent/mud_xlat.c agent/mud_export.c agent/mud_url.c agent/mactab.c agent/dnsname.c
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARN) \
	-std=gnu11 -D_GNU_SOURCE -Iinclude -Iagent
FUZZ_BINS := $(BUILD)/fuzz/fuzz_policy $(BUILD)/fuzz/fuzz_snapshot $(BUILD)/fuzz/fuzz_mud
TEST_BINS += $(FUZZ_BINS)
FUZZ_TIME ?= 10

.PHONY: all test test-unit test-bpf test-integration demo bench install clean fresh-check \
	check-format check-tools tools man
all: $(BUILD)/iotfence $(BUILD)/iotfence.bpf.o

.SECONDARY: $(BPF_OBJS) $(SKELS)

check-tools:
	@for t in $(NEED_TOOLS); do command -v $$t >/dev/null 2>&1 || { \
	  echo "error: '$$t' not found: run scripts/deps.sh (apt-get install clang bpftool pkg-config)" >&2; \
	  exit 1; }; done
	@for h in $(NEED_HDRS); do \
	  echo "#include <$$h>" | $(CC) -E -x c - >/dev/null 2>&1 || { \
	  echo "error: header <$$h> not found: run scripts/deps.sh" >&2; exit 1; }; done

$(BUILD) $(BUILD)/agent $(BUILD)/san $(BUILD)/tests $(BUILD)/fuzz:
	@mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | check-tools $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(notdir $*) > $@.tmp && mv $@.tmp $@

$(BUILD)/agent/%.o: agent/%.c $(AGENT_HDRS) $(SKELS) | $(BUILD)/agent
	$(CC) $(AGENT_CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: agent/%.c $(AGENT_HDRS) $(SKELS) | $(BUILD)/san
	$(CC) $(AGENT_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/iotfence: $(BUILD)/agent/main.o $(LIB_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(AGENT_LIBS)

# Agent tests run under ASan/UBSan.
$(BUILD)/tests/unit_tests: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(SAN_OBJS) | $(BUILD)/tests
	$(CC) $(AGENT_CFLAGS) $(SAN_FLAGS) -Itests -o $@ $(UNIT_SRCS) $(SAN_OBJS) \
		$(AGENT_LIBS) $(CHECK_LIBS)

$(BUILD)/tests/bpf_tests: $(BPFT_SRCS) $(wildcard tests/bpf/*.h) $(SAN_OBJS) $(BUILD)/iotfence.bpf.o | $(BUILD)/tests
	$(CC) $(AGENT_CFLAGS) $(SAN_FLAGS) -Itests -o $@ $(BPFT_SRCS) $(SAN_OBJS) \
		$(AGENT_LIBS) $(CHECK_LIBS)

$(TOOL_BINS): $(BUILD)/tests/%: tests/tools/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(AGENT_CFLAGS) -o $@ $< $(LIB_OBJS) $(AGENT_LIBS)

$(BUILD)/tests/diff_driver: $(DIFF_SRCS) $(wildcard tests/diff/*.h) $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(AGENT_CFLAGS) -Itests/diff -o $@ $(DIFF_SRCS) $(LIB_OBJS) $(AGENT_LIBS)

# Traffic for the flood tests (tests/integration/test_flood*.sh).
$(BUILD)/tests/ifn_flood: tests/diff/flood.c | $(BUILD)/tests
	$(CC) $(AGENT_CFLAGS) -o $@ $< -lbpf

$(FUZZ_BINS): $(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(AGENT_HDRS) | $(BUILD)/fuzz
	$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB) -lbpf -lelf -lz -ljansson

# The fuzz harnesses for FUZZ_TIME seconds each (make test runs them briefly).
.PHONY: fuzz
fuzz: $(FUZZ_BINS)
	tests/fuzz/run.sh $(BUILD) $(FUZZ_TIME)

# The long differential run; a short one is part of `make test`.
.PHONY: diff-long
diff-long: $(BUILD)/tests/diff_driver
	$(BUILD)/tests/diff_driver --frames 1000000

tools: $(TEST_BINS)

# On a fresh machine `make test` installs what it needs first (idempotent),
# then builds in a second make so that the tools it just installed are found
# (on every CPU: the build is a fifth of a clean run).
test:
	scripts/deps.sh
	$(MAKE) --no-print-directory -j$$(nproc) all tools
	scripts/run-tests.sh $(BUILD)

test-unit: $(BUILD)/tests/unit_tests
	scripts/run-tests.sh $(BUILD) unit

test-bpf: $(BUILD)/tests/bpf_tests
	scripts/run-tests.sh $(BUILD) bpf

test-integration: all
	scripts/run-tests.sh $(BUILD) integration

man: all
	scripts/gen-man.sh $(BUILD)/iotfence agent/iotfence.8

demo:
	scripts/demo.sh

# The README's two commands on a fresh Debian root (debootstrap), from a
# clean clone of HEAD: scripts/fresh-check.sh.
fresh-check:
	scripts/fresh-check.sh

# The agent and the BPF object for arm64 gateways (Raspberry Pi class), with
# Debian's cross compiler and the :arm64 libraries (scripts/deps.sh --cross
# installs them),
# into $(BUILD)-arm64; then the binary's own smoke test under qemu-user.
CROSS_ARM64 := aarch64-linux-gnu
.PHONY: cross-arm64
cross-arm64:
	scripts/deps.sh --cross
	$(MAKE) --no-print-directory BUILD=$(BUILD)-arm64 CC=$(CROSS_ARM64)-gcc \
		NEED_HDRS="bpf/libbpf.h libelf.h zlib.h pcap/pcap.h jansson.h" all
	scripts/cross-smoke.sh $(BUILD)-arm64 $(CROSS_ARM64)

bench: all $(BUILD)/bench/ifn-bench
	-$(MAKE) --no-print-directory $(BUILD)/bench/stages.bpf.o
	scripts/bench.sh $(BUILD)

# The benchmark driver and its own BPF programs (bench/), in $(BUILD)/bench/.
# stages.bpf.c (an ablation of the datapath) is optional: built apart, loaded if there.
BENCH_BPF_SRCS := $(filter-out bench/stages.bpf.c,$(wildcard bench/*.bpf.c))
BENCH_OBJS := $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(BENCH_BPF_SRCS))
BENCH_SKELS := $(patsubst bench/%.bpf.c,$(BUILD)/bench/%.skel.h,$(BENCH_BPF_SRCS))
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard bench/*.c))
.SECONDARY: $(BENCH_OBJS) $(BENCH_SKELS)

$(BUILD)/bench:
	@mkdir -p $@

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(wildcard bench/*.h) $(BPF_HDRS) | check-tools $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -Ibench -c $< -o $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_$(notdir $*) > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/ifn-bench: $(BENCH_SRCS) $(wildcard bench/*.h) $(BENCH_SKELS) $(LIB_OBJS) $(SKELS)
	$(CC) $(AGENT_CFLAGS) -Ibench -I$(BUILD)/bench -o $@ $(BENCH_SRCS) $(LIB_OBJS) $(AGENT_LIBS)

install: all
	install -D -m 0755 $(BUILD)/iotfence $(DESTDIR)$(PREFIX)/sbin/iotfence
	install -D -m 0644 agent/iotfence.8 $(DESTDIR)$(PREFIX)/share/man/man8/iotfence.8
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/sbin/iotfence|$(PREFIX)/sbin/iotfence|' scripts/iotfence.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/iotfence.service

# The value of a make variable, for scripts that must use the build's own
# flags (scripts/lint.sh compiles the BPF objects with BPF_CFLAGS).
print-%:
	@echo '$($*)'

check-format:
	clang-format --dry-run --Werror $(BPF_SRCS) $(BPF_HDRS) $(AGENT_SRCS) \
		$(AGENT_HDRS) $(UNIT_SRCS) $(BPFT_SRCS)

clean:
	rm -rf $(BUILD)
