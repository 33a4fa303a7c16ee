# Strata's front door. `make run` and `make test` do everything on a fresh Debian 12 machine.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= 2
LISTEN ?= 127.0.0.1:9201
DATA_DIR ?= ./data

.PHONY: all deps configure build run test bench asan tsan tsa fuzz clean format format-check

all: build

deps:
	@tools/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > /dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/strata serve --listen $(LISTEN) --data-dir $(DATA_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	tools/bench/run_micro.sh $(BUILD_DIR)

# Every test under AddressSanitizer + UndefinedBehaviorSanitizer (Debug build in build-asan/).
asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=address,undefined \
		-DSTRATA_BUILD_BENCH=OFF > /dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# Clang's thread-safety analysis (-Wthread-safety -Werror, syntax only) over every translation
# unit of src/, tools/, tests/ and bench/, in build-tsa/. Run by CI.
tsa: deps
	tools/check_thread_safety.sh build-tsa

# Every test under ThreadSanitizer (build-tsan/). tools/tsan.supp silences reports from inside
# uninstrumented Debian libraries only. CTEST_ARGS selects a subset, e.g. CTEST_ARGS='-R ^Wal'.
tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_SANITIZE=thread \
		-DSTRATA_BUILD_BENCH=OFF > /dev/null
	@cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tools/tsan.supp halt_on_error=1 \
		second_deadlock_stack=1" ctest --output-on-failure -j $(JOBS) --timeout 1200 $(CTEST_ARGS)

# libFuzzer targets (tests/fuzz/) under ASan+UBSan (Clang, build-fuzz/): FUZZ_SECONDS per target.
fuzz: deps
	tools/fuzz/run.sh

clean:
	rm -rf $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

# Every C++ file as .clang-format wants it (Debian's clang-format 14); run by CI. `make format`
# rewrites them.
format-check: deps
	clang-format --dry-run --Werror $$(git ls-files '*.h' '*.cc')
