# tegami — top-level build.
#
#   make              build everything into build/ (nothing is written into source dirs)
#   make check        install missing deps, build, run unit, fuzz and integration tests
#   make check SANITIZE=1   the same, built with AddressSanitizer + UBSan (into build/san)
#   make run          build, create an instance in build/run and start it in the foreground
#   make install      PREFIX=/usr/local DESTDIR=
#   make clean
#
# Programs: every program has a directory and a main file.  All other .c files
# of a program directory are that program's modules: they go into
# libdaemons.a too, so unit tests and fuzz harnesses can link them.

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=

ifeq ($(SANITIZE),1)
BUILD    ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD    ?= build
SANFLAGS :=
endif

PKGS     := libbsd openssl libevent libevent_openssl libunbound libpcre2-8
WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(CFLAGS) $(WARN) $(SANFLAGS) -D_GNU_SOURCE -Ilib \
            -DTEGAMI_PREFIX='"$(PREFIX)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldb -llmdb -lcrypt
LDFLAGS  ?=
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

# name:directory:main-file:install-dir  (bin = user commands, libexec = daemons and helpers)
PROGRAMS := \
	tegami:ctl:ctl/main.c:bin \
	sendmail:sendmail:sendmail/main.c:bin \
	master:master:master/main.c:libexec \
	smtpd:smtpd:smtpd/main.c:libexec \
	submission:submission:submission/main.c:libexec \
	cleanup:cleanup:cleanup/main.c:libexec \
	qmgr:qmgr:qmgr/main.c:libexec \
	local:local-delivery:local-delivery/main.c:libexec \
	pickup:pickup:pickup/main.c:libexec \
	showq:showq:showq/main.c:libexec \
	anvil:anvil:anvil/main.c:libexec \
	auth:auth:auth/main.c:libexec \
	smtp:smtp-client:smtp-client/main.c:libexec \
	postdrop:sendmail:sendmail/postdrop.c:libexec

pname = $(word 1,$(subst :, ,$(1)))
pdir  = $(word 2,$(subst :, ,$(1)))
pmain = $(word 3,$(subst :, ,$(1)))
pinst = $(word 4,$(subst :, ,$(1)))

MAINS     := $(foreach p,$(PROGRAMS),$(call pmain,$(p)))
PROG_DIRS := $(sort $(foreach p,$(PROGRAMS),$(call pdir,$(p))))
LIB_SRCS  := $(wildcard lib/*.c)
DMN_SRCS  := $(filter-out $(MAINS),$(foreach d,$(PROG_DIRS),$(wildcard $(d)/*.c)))
PARAM_SRCS := $(filter %_params.c,$(DMN_SRCS))

OBJ       := $(BUILD)/obj
LIB_OBJS  := $(LIB_SRCS:%.c=$(OBJ)/%.o)
DMN_OBJS  := $(DMN_SRCS:%.c=$(OBJ)/%.o)
LIBTEGAMI := $(BUILD)/lib/libtegami.a
LIBDMN    := $(BUILD)/lib/libdaemons.a

binpath   = $(BUILD)/$(if $(filter bin,$(call pinst,$(1))),bin,libexec/tegami)/$(call pname,$(1))
BINARIES  := $(foreach p,$(PROGRAMS),$(call binpath,$(p)))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check unit fuzz integration run install clean
all: $(BINARIES) $(BUILD)/bin/mailq $(BUILD)/bin/newaliases \
	$(BUILD)/bin/postmap $(BUILD)/bin/postalias $(UNIT_BINS)

deps:
	@scripts/install-deps

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBTEGAMI): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBDMN): $(DMN_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# One link rule per program: its main, its directory's modules, libtegami.
# The tegami command also links every daemon's parameter table, so that
# `tegami conf` and `tegami check` know every parameter.
define PROGRAM_RULE
$(call binpath,$(1)): $(OBJ)/$(basename $(call pmain,$(1))).o \
		$(filter $(OBJ)/$(call pdir,$(1))/%,$(DMN_OBJS)) \
		$(if $(filter ctl,$(call pdir,$(1))),$(PARAM_SRCS:%.c=$(OBJ)/%.o)) $(LIBTEGAMI)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(sort $$(filter %.o,$$^)) $(LIBTEGAMI) $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_RULE,$(p))))
# submission is smtpd's policy with AUTH on (STYLE lesson 7): it links
# smtpd's modules too.
$(BUILD)/libexec/tegami/submission: $(filter $(OBJ)/smtpd/%,$(DMN_OBJS))
# smtp checks qmgr's delivery requests with local-delivery's parser.
$(BUILD)/libexec/tegami/smtp: $(OBJ)/local-delivery/local_request.o
# tegami queue list is mailq: the same listing code, not a copy.
$(BUILD)/bin/tegami: $(OBJ)/sendmail/mailq.o

$(BUILD)/bin/mailq $(BUILD)/bin/newaliases: $(BUILD)/bin/sendmail
	ln -sf sendmail $@

$(BUILD)/bin/postmap $(BUILD)/bin/postalias: $(BUILD)/bin/tegami
	ln -sf tegami $@

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIBDMN) $(LIBTEGAMI)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -Itests/unit -o $@ $< $(LIBDMN) $(LIBTEGAMI) $(LDLIBS) -lcmocka

# ---- tests ---------------------------------------------------------------
PYTHON := /usr/bin/python3
FUZZ_SECONDS ?= 8

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory integration

unit: $(UNIT_BINS)
	@scripts/run-unit $(UNIT_BINS)

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk FUZZ_SECONDS=$(FUZZ_SECONDS)

integration: all
	TEGAMI_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

run: deps all
	@scripts/run-instance $(abspath $(BUILD))

install: all
	scripts/install-tree "$(abspath $(BUILD))" "$(DESTDIR)" "$(PREFIX)"

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(DMN_OBJS:.o=.d) $(foreach p,$(PROGRAMS),$(OBJ)/$(basename $(call pmain,$(p))).d)
