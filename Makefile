# sluice build.
#
#   make                  build/bootstrap (the service) and build/sluice (the CLI)
#   make deps             install missing Debian packages (apt-get)
#   make test             deps, unit tests under ASan+UBSan, fuzz corpora replay,
#                         protocol tests (moto), template checks
#   make lint             clang-tidy, cppcheck, clang-format check
#   make fuzz             libFuzzer drivers (clang) in build/fuzz/
#   make bench            benchmarks that print figures
#   make SANITIZE=address,undefined ...   any target with sanitizers
#
# Sources are found by wildcard: a new src/<layer>/<file>.c joins the library,
# a new tests/unit/test_<module>.c becomes a test binary, a new
# fuzz/fuzz_<name>.c becomes a driver replaying fuzz/corpus/<name>/.
# BUILD selects the output folder so that several builds can share a tree.

BUILD    ?= build
CC       ?= gcc
PYTHON   ?= python3
SANITIZE ?=

PKGS := jansson libfyaml libcurl libevent expat libcrypto sqlite3 libpq zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDFLAGS ?= -Wl,--as-needed -Wl,-O1
LIBS    := $(PKG_LIBS) -lm -lpthread

ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Programs: each has a main and is not part of the library.
MAIN_SRC := src/app/bootstrap.c src/cli/sluice.c
LIB_SRC  := $(filter-out $(MAIN_SRC),$(sort $(wildcard src/*/*.c src/*/*/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJ := $(UNIT_HELPERS:%.c=$(BUILD)/obj/%.o)

# Helper programs that the Python protocol tests drive (tests/protocol/*.c).
PROTO_SRC := $(sort $(wildcard tests/protocol/*.c))
PROTO_BIN := $(PROTO_SRC:tests/protocol/%.c=$(BUILD)/tests/%)

FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/replay/%)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

# Keep object files of tests and drivers between runs.
.SECONDARY:

.PHONY: all deps test unit fuzz-replay protocol check-templates lint format fuzz bench clean run package
all: $(BUILD)/bootstrap $(BUILD)/sluice

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libsluice.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bootstrap: $(BUILD)/obj/src/app/bootstrap.o $(BUILD)/libsluice.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/sluice: $(BUILD)/obj/src/cli/sluice.o $(BUILD)/libsluice.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(UNIT_HELPER_OBJ) $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/obj/tests/protocol/%.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests that run a helper program find it beside themselves. Order-only:
# the helper is needed at run time, not linked in.
$(BUILD)/tests/test_pool: | $(BUILD)/tests/fake_runtime

$(BUILD)/replay/fuzz_%: $(BUILD)/obj/fuzz/fuzz_%.o $(BUILD)/obj/fuzz/replay.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The tests: one sanitized build in build/san, then every suite. scripts/test
# prints one closing line, "test: N passed, N failed".
test: deps
	$(MAKE) --no-print-directory BUILD=$(BUILD)/san SANITIZE=address,undefined CFLAGS="-O1 -g" all test-bins
	$(MAKE) --no-print-directory all $(PROTO_BIN)
	BUILD=$(BUILD) PYTHON=$(PYTHON) scripts/test

test-bins: $(UNIT_BIN) $(FUZZ_REPLAY) $(PROTO_BIN)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

fuzz-replay: $(FUZZ_REPLAY)
	@for f in $(FUZZ_REPLAY); do n=$$(basename $$f); $$f fuzz/corpus/$${n#fuzz_} || exit 1; done

# libFuzzer builds, with clang, for finding new inputs: build/fuzz/fuzz_<name>.
fuzz:
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "clang $$n"; \
	  clang -std=c11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined $(PKG_CFLAGS) \
	    $$f $(LIB_SRC) -o $(BUILD)/fuzz/$$n $(LIBS) || exit 1; done

deps:
	@scripts/deps

lint:
	scripts/lint

format:
	clang-format -i $(LIB_SRC) $(MAIN_SRC) $(wildcard src/*/*.h src/*/*/*.h) $(UNIT_SRC) $(FUZZ_SRC)

bench: all
	@for b in bench/*.sh; do echo "== $$b"; BUILD=$(BUILD) $$b || exit 1; done

clean:
	rm -rf build build-* .sluice

# Area makefiles (deploy, local cloud, ...) add their targets after `all`.
-include $(wildcard mk/*.mk)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
