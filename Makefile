# iommusim: the two commands a user needs are `make run` and `make test`.
BUILD   ?= build
JOBS    ?= 2
CONFIG  ?= configs/default.yaml
UBSAN   ?= OFF
# libFuzzer harnesses (tb/fuzz): their own clang build folder, and the
# fuzzing time per harness for `make fuzz` (docs/robustness.md).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all setup configure build run test fuzz fuzz-smoke bench clean

all: build

setup:
	@scripts/setup

configure: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DIOMMUSIM_UBSAN=$(UBSAN) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/apps/iommusim run $(CONFIG) --out out/$(basename $(notdir $(CONFIG)))

test: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure
	@$(MAKE) --no-print-directory fuzz-smoke

# Every fuzz harness for FUZZ_SECONDS each, after replaying its regression
# inputs; then the DMA isolation property at 10^6 requests (3 seeds of about
# 336,000 DMAs; the test suite runs them at 1/100 of that).
fuzz: build
	@JOBS=$(JOBS) scripts/fuzz --seconds $(FUZZ_SECONDS) --build $(FUZZ_BUILD)
	@for seed in 1 2 3; do \
	  IOMMUSIM_ISOLATION_SCALE=100 $(BUILD)/tb/system_tests "*(seed $$seed)" || exit 1; \
	done

# Part of `make test`: the regression inputs and 2 seconds of each harness.
fuzz-smoke: setup
	@JOBS=$(JOBS) scripts/fuzz --smoke --seconds 2 --build $(FUZZ_BUILD)

bench: build
	@cmake --build $(BUILD) -j$(JOBS) --target iommusim_bench
	$(BUILD)/apps/iommusim_bench

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) out
