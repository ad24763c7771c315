# smartsign - top-level build.  See README.md.
#
#   make            build everything into build/
#   make check      install missing packages, build with ASan+UBSan, run all tests
#   make demo       install missing packages, run the demo on the emulated card
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

.PHONY: all deps check check-unit check-all demo clean units
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

$(B)/tests/%: tests/tools/%.c $(LIBREADER)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TOOL    $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBREADER) $(PKG_LIBS)

units: $(UNIT_BIN) $(EMU_BIN)

deps:
	@tools/deps.sh

# The sanitizer build lives in build/asan; the tests run against it.
check: deps
	$(MAKE) all
	$(MAKE) B=build/asan SAN=1 units
	tests/run

demo: deps all
	tests/rig -- tests/demo.sh

clean:
	rm -rf build

-include $(shell find $(B)/obj $(B)/tests -name '*.d' 2>/dev/null)
