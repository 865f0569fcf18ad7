# Two entry points on a fresh Debian 12 machine (as root): each installs what is missing,
# builds, and runs. See README.md.
.PHONY: run test build deps test-deps clean

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

clean:
	rm -rf build build-asan build-fuzz
