# Thin wrapper: the real build is CMake. Every target bootstraps first.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all bootstrap build demo test bench fuzz clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/CMakeCache.txt: | bootstrap
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: bootstrap $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/bin/qualys-exporter --demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900
	@scripts/test-extra

bench: build
	@scripts/bench

fuzz: bootstrap
	@scripts/fuzz long

clean:
	rm -rf $(BUILD) build-*
