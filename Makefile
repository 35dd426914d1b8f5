# iommusim: the two commands a user needs are `make run` and `make test`.
BUILD   ?= build
JOBS    ?= 2
CONFIG  ?= configs/default.yaml
UBSAN   ?= OFF

.PHONY: all setup configure build run test bench clean

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

bench: build
	@cmake --build $(BUILD) -j$(JOBS) --target iommusim_bench
	$(BUILD)/apps/iommusim_bench

clean:
	rm -rf $(BUILD) out
