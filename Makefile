# smartsign - top-level build.  See README.md.
#
#   make            build everything into build/
#   make check      install missing packages, build with ASan+UBSan, run all tests
#   make demo       install missing packages, run the demo on the emulated card
#   make bench      smartsign against OpenSC and ykcs11 on the same emulated
#                   card (README.md "Benchmark"); report in build/bench/
#   make fuzz       every libFuzzer target FUZZ_TIME (60) seconds
#                   (README.md "Fuzzing")
#
# Sources are picked up by folder: reader/*.c is the common library,
# token-emu/*.c the emulator (main.c is its program), pkcs11/*.c the module,
# tests/unit/test-*.c one cmocka program each.

B		?= build
CC		?= cc
PKGS		 = libpcsclite openssl p11-kit-1
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs libpcsclite openssl 2>/dev/null)

WARN	 = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	   -Wstrict-prototypes -Wpointer-arith -Wformat=2 -Wvla \
	   -Wconversion -Wsign-conversion -Wframe-larger-than=65536 \
	   -Wimplicit-fallthrough -Wundef -Wcast-qual
HARDEN	 = -fstack-protector-strong -ftrivial-auto-var-init=zero -fPIC
CSTD	 = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
OPT	?= -O2 -g -D_FORTIFY_SOURCE=2
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
ifeq ($(SAN),1)
OPT	 = -O1 -g
HARDEN	+= $(SAN_FLAGS)
LDSAN	 = $(SAN_FLAGS)
endif
CFLAGS_ALL = $(CSTD) $(WARN) $(HARDEN) $(OPT) -I. $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = -Wl,-z,relro,-z,now $(LDSAN) $(LDFLAGS)

READER_SRC	:= $(wildcard reader/*.c)
EMU_SRC		:= $(filter-out token-emu/main.c,$(wildcard token-emu/*.c))
PKCS11_SRC	:= $(wildcard pkcs11/*.c)
UNIT_SRC	:= $(wildcard tests/unit/test-*.c)

READER_OBJ	:= $(READER_SRC:%.c=$(B)/obj/%.o)
EMU_OBJ		:= $(EMU_SRC:%.c=$(B)/obj/%.o)
PKCS11_OBJ	:= $(PKCS11_SRC:%.c=$(B)/obj/%.o)
UNIT_BIN	:= $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TESTTOOLS	:= $(patsubst tests/tools/%.c,$(B)/tests/%,$(wildcard tests/tools/*.c))

LIBREADER	 = $(B)/libssreader.a
LIBEMU		 = $(B)/libssemu.a
LIBP11		 = $(B)/libssp11.a
EMU_BIN		 = $(B)/smartsign-emu
MODULE		 = $(B)/smartsign-pkcs11.so

# Programs for people: tools/NAME*.c (one of them with main) make
# build/smartsign-NAME, linked with the reader library.
TOOL_NAMES	 = diag sign bench
TOOL_BINS	:= $(foreach t,$(TOOL_NAMES),$(if $(wildcard tools/$(t)*.c),$(B)/smartsign-$(t)))

define tool_rule
$(B)/smartsign-$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard tools/$(1)*.c)) $(LIBREADER)
	@$$(if $$(V),,echo "  LD      $$@")
	$$(Q)$$(CC) $$(LDFLAGS_ALL) -o $$@ $$^ $$(PKG_LIBS) -ldl -lpthread
endef
$(foreach t,$(TOOL_NAMES),$(eval $(call tool_rule,$(t))))

# smartsign-sign finds the installed module relative to itself in
# ../lib/$(MULTIARCH)/pkcs11 (README.md "Install"); its unit tests link
# its objects but main (tools/sign.c).
MULTIARCH	:= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || \
		   $(CC) -print-multiarch 2>/dev/null)
SIGN_LIB_OBJ	:= $(patsubst %.c,$(B)/obj/%.o,$(filter-out tools/sign.c,$(wildcard tools/sign_*.c)))
$(B)/obj/tools/sign_p11.o: CFLAGS_ALL += -DSS_MULTIARCH='"$(MULTIARCH)"'

.PHONY: all deps check check-unit check-all demo clean units bench
all: $(EMU_BIN) $(if $(PKCS11_SRC),$(MODULE)) $(TESTTOOLS) $(TOOL_BINS)

Q	 = $(if $(V),,@)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIBREADER): $(READER_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBEMU): $(EMU_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBP11): $(PKCS11_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(EMU_BIN): $(B)/obj/token-emu/main.o $(LIBEMU) $(LIBREADER)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lpthread

$(MODULE): $(PKCS11_OBJ) $(LIBREADER)
	$(CC) $(LDFLAGS_ALL) -shared -Wl,--version-script=pkcs11/exports.map \
	    -o $@ $(PKCS11_OBJ) $(LIBREADER) $(PKG_LIBS) -lpthread

$(B)/tests/%: tests/unit/%.c $(LIBP11) $(LIBEMU) $(LIBREADER)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -Wno-cast-qual -MMD -MP -MF $@.d \
	    $(LDFLAGS_ALL) -o $@ $< \
	    $(LIBP11) $(LIBEMU) $(LIBREADER) $(PKG_LIBS) -lcmocka -lpthread

# test-sign-*: smartsign-sign's code without its main (shortest stem wins)
$(B)/tests/test-sign-%: tests/unit/test-sign-%.c $(SIGN_LIB_OBJ) $(LIBREADER)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -Wno-cast-qual -MMD -MP -MF $@.d \
	    $(LDFLAGS_ALL) -o $@ $< $(SIGN_LIB_OBJ) $(LIBREADER) $(PKG_LIBS) \
	    -lcmocka -ldl -lpthread

$(B)/tests/%: tests/tools/%.c $(LIBREADER)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TOOL    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -MMD -MP -MF $@.d $(LDFLAGS_ALL) -o $@ $< \
	    $(LIBREADER) $(PKG_LIBS)

units: $(UNIT_BIN) $(EMU_BIN)

deps:
	@tools/deps.sh

# The sanitizer build lives in build/asan; the tests run against it.
check: deps
	$(MAKE) all
	$(MAKE) B=build/asan SAN=1 units
	$(MAKE) B=$(FUZZ_DIR) FUZZ=1 fuzz-bins
	tests/run

# The demo inserts the broker's own card (tests/demo.sh), so the rig
# starts with the reader empty.
demo: deps all
	SMARTSIGN_BUILD=$(abspath $(B)) tests/rig --no-card -- tests/demo.sh

# Benchmark: one rig at full speed, and one for the real-card profile (a
# delay per APDU and per private-key operation by algorithm, README.md
# "Benchmark"): RSA-2048 operations take BENCH_RSA_MS, P-256 ones
# BENCH_EC_MS.  All three modules see the same card through a reader
# named "Yubico ..." (ykcs11 looks at no other).  About 3-4 minutes on 2
# cores.
BENCH_DIR	 = $(B)/bench
BENCH_OPENSC	?= /usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so
BENCH_YKCS11	?= /usr/lib/x86_64-linux-gnu/libykcs11.so
BENCH_APDU_MS	?= 5
BENCH_RSA_MS	?= 150
BENCH_EC_MS	?= 60
BENCH_RUNS	?= 5
BENCH_RIG	 = SMARTSIGN_BUILD=$(abspath $(B)) tests/rig \
		   --reader "Yubico Smartsign Virtual"
BENCH_CMD	 = $(abspath $(B))/smartsign-bench --quiet \
		   --module smartsign=$(abspath $(MODULE)) \
		   --module opensc=$(BENCH_OPENSC) \
		   --module ykcs11=$(BENCH_YKCS11) --runs $(BENCH_RUNS)
BENCH_REAL	 = --profile "real card" --sig-runs 1 --rtt 200 --bar-time \
		   --apdu-delay $(BENCH_APDU_MS)

bench: deps $(EMU_BIN) $(MODULE) $(B)/smartsign-bench
	@rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	$(BENCH_RIG) -- $(BENCH_CMD) --profile "full speed" \
	    --desc "Emulator without delays: what is measured is software (module, libpcsclite, pcscd, vpcd, emulator)." \
	    --sig-runs $(BENCH_RUNS) --raw $(BENCH_DIR)/full.tsv >/dev/null
	$(BENCH_RIG) --emu "--apdu-delay $(BENCH_APDU_MS) --keyop-delay rsa2048=$(BENCH_RSA_MS),p256=$(BENCH_EC_MS)" \
	    -- $(BENCH_CMD) $(BENCH_REAL) \
	    --keyop-delay-rsa $(BENCH_RSA_MS) --keyop-delay-ec $(BENCH_EC_MS) \
	    --desc "Emulator with $(BENCH_APDU_MS) ms per APDU and per private-key operation $(BENCH_RSA_MS) ms for RSA-2048, $(BENCH_EC_MS) ms for P-256 (ykcs11's ATTEST signatures pay it too); signing flows 1 run." \
	    --raw $(BENCH_DIR)/real.tsv >/dev/null
	$(B)/smartsign-bench --report $(BENCH_DIR)/full.tsv \
	    $(BENCH_DIR)/real.tsv >$(BENCH_DIR)/bench.md
	@cat $(BENCH_DIR)/bench.md

# ---- fuzzing (README.md "Fuzzing") -------------------------------------
# tests/fuzz/fuzz-NAME.c is one libFuzzer target, built twice: by the
# normal compiler with tests/fuzz/main.c into $(B)/fuzz-NAME (a plain
# program: part of units, so make check replays the committed corpus
# tests/fuzz/corpus/fuzz-NAME/ through the sanitizer build), and by clang
# with libFuzzer into build/fuzz/fuzz-NAME (FUZZ=1: make fuzz-bins, make
# fuzz).  Both link with --wrap=emu_crypto_keygen (tests/fuzz/fz-card.h:
# one key per algorithm, so the emulator's GENERATE costs nothing).
# The clang build uses clang's hardening flags (auto-var-init=pattern, so
# an uninitialised read shows) and leaves -Werror to the gcc build.
FUZZ_SRC	:= $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_NAMES	:= $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_BIN	:= $(FUZZ_NAMES:%=$(B)/%)
FUZZ_HELP_OBJ	:= $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/fuzz/fz-*.c) \
		   tests/unit/emu-transport.c)
FUZZ_MAIN_OBJ	 = $(B)/obj/tests/fuzz/main.o
FUZZ_EXTRA_p7s	 = $(SIGN_LIB_OBJ)
FUZZ_LIBS	 = -Wl,--wrap=emu_crypto_keygen $(LIBP11) $(LIBEMU) $(LIBREADER) \
		   $(PKG_LIBS) -ldl -lpthread
FUZZ_DIR	 = build/fuzz
FUZZ_TIME	?= 60
FUZZ_TARGETS	?= $(FUZZ_NAMES)
FUZZ_CC		?= clang

$(B)/obj/tests/%.o: CFLAGS_ALL += -Wno-cast-qual

ifeq ($(FUZZ),1)
override CC	 = $(FUZZ_CC)
OPT		 = -O1 -g
HARDEN		 = -fstack-protector-strong -fPIC -ftrivial-auto-var-init=pattern \
		   -fsanitize=fuzzer-no-link,address,undefined \
		   -fno-sanitize-recover=all -fno-omit-frame-pointer
WARN		:= $(filter-out -Werror,$(WARN))
LDSAN		 = -fsanitize=fuzzer,address,undefined
FUZZ_MAIN_OBJ	 =
endif

.SECONDEXPANSION:
$(B)/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_HELP_OBJ) $(FUZZ_MAIN_OBJ) \
    $$(FUZZ_EXTRA_$$*) $(LIBP11) $(LIBEMU) $(LIBREADER)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZ    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-cast-qual -MMD -MP -MF $@.d $(LDFLAGS_ALL) \
	    -o $@ $< $(FUZZ_HELP_OBJ) $(FUZZ_MAIN_OBJ) $(FUZZ_EXTRA_$*) \
	    $(FUZZ_LIBS)

# The seed corpus generator (make fuzz-corpus runs it).
$(B)/gen-corpus: tests/fuzz/gen-corpus.c $(FUZZ_HELP_OBJ) $(LIBP11) \
    $(LIBEMU) $(LIBREADER)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TOOL    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-cast-qual -MMD -MP -MF $@.d $(LDFLAGS_ALL) \
	    -o $@ $< $(FUZZ_HELP_OBJ) $(FUZZ_LIBS)

.PHONY: fuzz fuzz-bins fuzz-corpus
.SECONDARY: $(B)/obj/tests/fuzz/main.o $(SIGN_LIB_OBJ)
fuzz-bins: $(FUZZ_BIN)
units: $(FUZZ_BIN) $(B)/gen-corpus

# Every target FUZZ_TIME seconds in turn, one at a time (nice), on the
# committed corpus plus a work corpus in build/fuzz/corpus-NAME; a crash
# stops with the input in build/fuzz/crash-NAME-* (README.md "Fuzzing").
fuzz: deps
	$(MAKE) B=$(FUZZ_DIR) FUZZ=1 fuzz-bins
	@for t in $(FUZZ_TARGETS); do \
	    echo "  FUZZ    $$t: $(FUZZ_TIME) s"; \
	    mkdir -p $(FUZZ_DIR)/corpus-$$t || exit 1; \
	    nice -n 19 $(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_TIME) \
		-timeout=25 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/crash-$$t- \
		$(FUZZ_DIR)/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

fuzz-corpus:
	$(MAKE) B=build/asan SAN=1 build/asan/gen-corpus
	build/asan/gen-corpus tests/fuzz/corpus

-include $(wildcard $(B)/fuzz-*.d $(B)/gen-corpus.d)

# ---- install / uninstall (README.md "Install") ---------------------------
# p11-kit reads module files from /usr/share/p11-kit/modules (packages) and
# /etc/pkcs11/modules (the administrator's) only, udev its rules from
# /lib/udev/rules.d and /etc/udev/rules.d only: a PREFIX=/usr install is
# the distribution's and goes to the first, any other PREFIX is a local
# install and registers in /etc, so the installed module really is
# registered.  Every file written is listed in $(MANIFEST); uninstall
# removes exactly those (and the directories install created).
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
MANDIR		?= $(PREFIX)/share/man
PKCS11DIR	?= $(LIBDIR)/$(MULTIARCH)/pkcs11
MANIFEST	?= $(PREFIX)/share/smartsign/install-manifest
ifeq ($(PREFIX),/usr)
P11KITDIR	?= /usr/share/p11-kit/modules
UDEVDIR		?= /lib/udev/rules.d
else
P11KITDIR	?= /etc/pkcs11/modules
UDEVDIR		?= /etc/udev/rules.d
endif
INSTALL_ENV	 = DESTDIR='$(DESTDIR)' B='$(B)' BINDIR='$(BINDIR)' \
		   PKCS11DIR='$(PKCS11DIR)' MANDIR='$(MANDIR)' \
		   P11KITDIR='$(P11KITDIR)' UDEVDIR='$(UDEVDIR)' \
		   MANIFEST='$(MANIFEST)'

.PHONY: install uninstall
install: all
	@$(INSTALL_ENV) tools/register.sh install

uninstall:
	@$(INSTALL_ENV) tools/register.sh uninstall

# ---- udev rules (README.md "udev/") ---------------------------------------
# udev/70-smartsign-readers.rules is generated from udev/readers.tsv by
# udev/gen-rules and committed; udev-rules checks that it is current and
# installs it (UDEVDIR as for install; /etc/udev/rules.d by default).
UDEVDIR		?= /etc/udev/rules.d
.PHONY: udev-rules
udev-rules:
	udev/gen-rules --check
	install -D -m 0644 udev/70-smartsign-readers.rules \
	    $(DESTDIR)$(UDEVDIR)/70-smartsign-readers.rules
	@echo "udev-rules: now run: udevadm control --reload &&" \
	    "udevadm trigger --subsystem-match=usb --action=change"

clean:
	rm -rf build

-include $(shell find $(B)/obj $(B)/tests -name '*.d' 2>/dev/null)
