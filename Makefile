# sessionconf: conformance suite for persistent login sessions.
#   make conformance   the reference in every profile (Redis in a container)
#   make test          everything: unit tests, conformance, browser, self-test
# See README.md.

GO       ?= go
BIN      := bin
REPORTS  ?= reports
TARGET   ?=
export TESTCONTAINERS_RYUK_DISABLED := true
# Keep go test's temp files (and rod's, and the suites') in one place we remove.
export GOFLAGS := -buildvcs=false

REFERENCE_TARGETS := fixtures/targets/reference-filesystem.yaml \
                     fixtures/targets/reference-redis.yaml \
                     fixtures/targets/reference-cookie.yaml

.PHONY: all build run test unit conformance browser selftest bench redis-image spec check-spec fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/refserver ./reference/cmd/refserver

## run: the reference at http://127.0.0.1:5000, sessions in ./flask_session
run: build
	./$(BIN)/refserver

## unit: tests of the reference and the harness, with the race detector
unit:
	.ci/deps redis
	$(GO) test -race -count=1 ./reference/... ./harness/...

test: unit

## redis-image: the offline Redis image from Debian's redis-server (no registry);
##   skipped when present, FORCE=1 rebuilds, SESSIONCONF_REDIS_IMAGE=tag renames
redis-image:
	.ci/deps image
	fixtures/redis-image/build.sh $(if $(FORCE),--force)

clean:
	rm -rf $(BIN) $(REPORTS) flask_session
