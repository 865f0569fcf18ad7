# Two entry points on a fresh Debian 12 machine (as root): each installs what is missing,
# builds, and runs. See README.md.
# `make bench` runs the end-to-end benchmark scenarios (tools/bench/run-scenarios.py) and writes
# a report under bench/results/: make bench SCENARIOS="a-10-senders d-100x5" DURATION=10
.PHONY: run test build deps test-deps clean bench deb

BUILD_DIR ?= build

deps:
	@tools/install-deps.sh build

test-deps:
	@tools/install-deps.sh test

build: deps
	@[ -f $(BUILD_DIR)/build.ninja ] || meson setup $(BUILD_DIR) --buildtype=debugoptimized >/dev/null
	@ninja -C $(BUILD_DIR) -j2 | grep -v '^\[' || true
	@test -x $(BUILD_DIR)/bridge/videobridge

run: build
	@tools/run-dev.sh $(BUILD_DIR)/bridge/videobridge

test: test-deps
	@tools/run-tests.sh

# Only the daemon and the generator are built; the scenarios run one after the other.
bench:
	@tools/install-deps.sh bench
	@[ -f $(BUILD_DIR)/build.ninja ] || meson setup $(BUILD_DIR) --buildtype=debugoptimized >/dev/null
	@ninja -C $(BUILD_DIR) -j2 bridge/videobridge tools/loadgen/loadgen >$(BUILD_DIR)/bench-build.log 2>&1 \
	  || { grep -v '^\[' $(BUILD_DIR)/bench-build.log; exit 1; }
	@/usr/bin/python3 tools/bench/run-scenarios.py --videobridge $(BUILD_DIR)/bridge/videobridge \
	  --loadgen $(BUILD_DIR)/tools/loadgen/loadgen $(if $(SCENARIOS),--scenarios "$(SCENARIOS)") \
	  $(if $(DURATION),--duration $(DURATION))

# The Debian package (packaging/): source and binary packages in build-deb/, checked by lintian.
deb:
	@tools/install-deps.sh deb
	@packaging/build-deb.sh

clean:
	rm -rf build build-asan build-fuzz
