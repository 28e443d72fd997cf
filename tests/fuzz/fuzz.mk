# tests/fuzz/fuzz.mk — build and briefly run every libFuzzer harness.
#
#   make -f tests/fuzz/fuzz.mk FUZZ_SECONDS=8        (from the repository root)
#
# Compiles every lib/*.c and every non-main .c of the program directories
# (the same lists as the top-level Makefile) with clang and
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/obj; a
# compile error stops the run.  Each tests/fuzz/fuzz_NAME.c becomes
# build/fuzz/fuzz_NAME and runs for FUZZ_SECONDS on a working copy of its
# seeds (tests/fuzz/corpus/NAME -> build/fuzz/corpus/NAME), so nothing is
# written into the source tree; crash inputs go to build/fuzz/artifacts/.
# The last line printed is `fuzz: N passed, N failed`; any finding fails.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 8
FUZZ_TIMEOUT ?= 10
PREFIX       ?= /usr/local
B            := build/fuzz

PKGS   := libbsd openssl libevent libevent_openssl libunbound libpcre2-8
WARN   := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
          -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
          -fno-omit-frame-pointer
FCFLAGS := -std=gnu11 -g -O1 $(WARN) $(SAN) -D_GNU_SOURCE -Ilib \
          -DTEGAMI_PREFIX='"$(PREFIX)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldb -llmdb -lcrypt

# Same program list logic as the Makefile: these are mains, not modules.
PROG_DIRS := ctl sendmail master smtpd cleanup qmgr local-delivery pickup showq auth \
             smtp-client
MAINS     := ctl/main.c sendmail/main.c sendmail/postdrop.c master/main.c \
             smtpd/main.c cleanup/main.c qmgr/main.c local-delivery/main.c \
             pickup/main.c showq/main.c auth/main.c smtp-client/main.c
LIB_SRCS  := $(wildcard lib/*.c)
DMN_SRCS  := $(filter-out $(MAINS),$(foreach d,$(PROG_DIRS),$(wildcard $(d)/*.c)))
OBJS      := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS) $(DMN_SRCS))
DEPLIB    := $(B)/libfuzzdeps.a

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
NAMES     := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
BINS      := $(addprefix $(B)/fuzz_,$(NAMES))

.PHONY: all build run
.DELETE_ON_ERROR:
all: run

build: $(BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FCFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# An archive, so a harness links only the modules it uses.
$(DEPLIB): $(OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/fuzz_%: tests/fuzz/fuzz_%.c $(DEPLIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FCFLAGS) -fsanitize=fuzzer -o $@ $< $(DEPLIB) $(LDLIBS)

# Run every harness even when one fails; sum up at the end.
run: build
	@passed=0; failed=0; \
	mkdir -p $(B)/artifacts $(B)/logs; \
	for n in $(NAMES); do \
		mkdir -p $(B)/corpus/$$n; \
		if [ -d tests/fuzz/corpus/$$n ]; then \
			cp -R tests/fuzz/corpus/$$n/. $(B)/corpus/$$n/; \
		fi; \
		if $(B)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
		    -max_len=65536 -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
		    -artifact_prefix=$(B)/artifacts/$$n- \
		    $(B)/corpus/$$n >$(B)/logs/$$n.log 2>&1; then \
			echo "fuzz_$$n: ok ($$(grep -c . $(B)/logs/$$n.log) log lines," \
			    "$$(sed -n 's/^stat::number_of_executed_units: *//p' $(B)/logs/$$n.log) runs)"; \
			passed=$$((passed + 1)); \
		else \
			echo "fuzz_$$n: FAILED (log $(B)/logs/$$n.log):"; \
			grep -v '^#[0-9]' $(B)/logs/$$n.log | tail -n 40; \
			failed=$$((failed + 1)); \
		fi; \
	done; \
	echo "fuzz: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ] && [ $$passed -gt 0 ]

-include $(OBJS:.o=.d)
