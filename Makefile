# sessionconf: conformance suite for persistent login sessions.
#   make conformance   the reference in every profile (Redis in a container)
#   make topologies    the reference on Redis Sentinel and Redis Cluster
#   make test          everything: unit tests, conformance, browser, self-test
# See README.md.

GO       ?= go
BIN      := bin
REPORTS  ?= reports
export TESTCONTAINERS_RYUK_DISABLED := true
export GOFLAGS := -buildvcs=false

SESSIONCONF := $(BIN)/sessionconf
# The reference in every profile; TARGET=path/to/manifest.yaml tests another
# implementation (several manifests: comma-separated).
REFERENCE_TARGETS := fixtures/targets/reference-filesystem.yaml,fixtures/targets/reference-redis.yaml,fixtures/targets/reference-cookie.yaml
TARGET ?= $(REFERENCE_TARGETS)
# Extra flags for `sessionconf run`, e.g. RUNFLAGS='-label-filter=MUST -v'.
RUNFLAGS ?=

.PHONY: all build run test unit conformance topologies browser container flask php django examples selftest bench redis-image spec check-spec fuzz clean dist dist-check install-check image image-check

all: build

# `sessionconf version` names the commit it was built from (GOFLAGS has
# -buildvcs=false, so the toolchain records none).
VERSION_PKG := github.com/sessionconf/sessionconf/harness/version
STAMP := -X $(VERSION_PKG).Commit=$(shell git rev-parse HEAD 2>/dev/null) -X $(VERSION_PKG).Date=$(shell git log -1 --format=%cI 2>/dev/null)

build:
	$(GO) build -o $(BIN)/refserver ./reference/cmd/refserver
	$(GO) build -ldflags '$(STAMP)' -o $(SESSIONCONF) ./harness/cmd/sessionconf

## conformance: every profile of the reference (Redis in a container), or
##   TARGET=manifest.yaml; reports in reports/
conformance: build
	.ci/deps redis image browser
	$(SESSIONCONF) run -target $(TARGET) -reports $(REPORTS) $(RUNFLAGS)

## topologies: the reference on the Redis topologies: the redis-sentinel
##   profile (master, replica, three Sentinels: failovers) and the
##   redis-cluster profile (three masters: keys over every node, a master's
##   outage), HTTP and browser suites, Redis in containers on the host
##   network (or local redis-server processes: RUNFLAGS=-redis-provider=local);
##   TOPOLOGY_TARGETS=... for another implementation's topology manifests
TOPOLOGY_TARGETS ?= fixtures/targets/reference-redis-sentinel.yaml,fixtures/targets/reference-redis-cluster.yaml
topologies: build
	.ci/deps redis image browser
	$(SESSIONCONF) run -target $(TOPOLOGY_TARGETS) -reports $(REPORTS)/topologies $(RUNFLAGS)

## browser: the browser suite alone (headless Debian chromium) against the
##   reference in every profile, or TARGET=manifest.yaml; BROWSER_PROCS
##   Ginkgo processes (one browser each) per profile
BROWSER_PROCS ?= 2
browser: build
	.ci/deps redis image browser
	$(SESSIONCONF) run -target $(TARGET) -reports $(REPORTS) -suites browser -browser-procs $(BROWSER_PROCS) $(RUNFLAGS)

## flask, php, django: worked examples in other languages, each in every
##   profile and both suites against its known-failing list (reports in
##   reports/<example>/): the story's Flask app on Debian's Flask-Session
##   0.3.2 (fixtures/targets/flask/), PHP 8.2's native sessions under the
##   built-in server (fixtures/targets/php/), Django 3.2's contrib.auth
##   under gunicorn (fixtures/targets/django/), each with its framework's
##   default password hasher. examples runs all three.
##   They run three profiles of an app with a production password hasher at
##   once on CI's two cores: the load specs (PERSIST-6's 1,000 requests,
##   TOKEN-1/2's ID samples) get six minutes instead of three, or a busy
##   machine ends them as errors (could not finish). The verdicts do not
##   change: a spec timeout bounds only how long a spec may run.
EXAMPLE_RUNFLAGS ?= -timeout spec=6m
FLASK_TARGETS  := fixtures/targets/flask-filesystem.yaml,fixtures/targets/flask-redis.yaml,fixtures/targets/flask-cookie.yaml
PHP_TARGETS    := fixtures/targets/php-filesystem.yaml,fixtures/targets/php-redis.yaml
DJANGO_TARGETS := fixtures/targets/django-filesystem.yaml,fixtures/targets/django-redis.yaml,fixtures/targets/django-cookie.yaml
flask: build
	.ci/deps redis image browser flask
	$(SESSIONCONF) run -target $(FLASK_TARGETS) -reports $(REPORTS)/flask $(EXAMPLE_RUNFLAGS) $(RUNFLAGS)
php: build
	.ci/deps redis image browser php
	$(SESSIONCONF) run -target $(PHP_TARGETS) -reports $(REPORTS)/php $(EXAMPLE_RUNFLAGS) $(RUNFLAGS)
django: build
	.ci/deps redis image browser django
	$(SESSIONCONF) run -target $(DJANGO_TARGETS) -reports $(REPORTS)/django $(EXAMPLE_RUNFLAGS) $(RUNFLAGS)
examples: flask php django

## container: the container mode proven end to end: the reference's image
##   (built locally by fixtures/targets/reference-image/build.sh, no
##   registry) run by testcontainers on a network with Redis, in every
##   profile, for a core set of requirements (CONTAINER_FILTER='' for all;
##   a full run takes minutes: every restart is a docker stop and start)
CONTAINER_FILTER ?= PERSIST-1 || PERSIST-4 || CLEAR-1 || LIFE-1 || LIFE-7 || TOKEN-12 || ROBUST-2 || COOKIE-1 || PROFILE-1
container: build
	.ci/deps redis image
	$(SESSIONCONF) run -target fixtures/targets/reference-container.yaml -suites http $(if $(CONTAINER_FILTER),-label-filter '$(CONTAINER_FILTER)') -reports $(REPORTS)/container $(RUNFLAGS)

## selftest: the suite against every mutant of the reference (fixtures/mutants):
##   fails if a mutant survives or breaks more than its expected-failure list
##   says; prints the mutation score and the uncovered requirements, writes
##   reports/selftest/. SELFTESTFLAGS='-full' also runs the load specs
##   against every mutant, '-repeat 3' checks the verdicts are stable.
SELFTESTFLAGS ?=
selftest: build
	.ci/deps redis
	$(SESSIONCONF) selftest -reports $(REPORTS)/selftest $(SELFTESTFLAGS)

## spec: regenerate suites/SPEC.md; check-spec fails when it drifted
spec: build
	$(SESSIONCONF) spec

check-spec: build
	$(SESSIONCONF) spec -check

## run: the reference at http://127.0.0.1:5000, sessions in ./flask_session
run: build
	./$(BIN)/refserver

## unit: tests of the reference and the harness, with the race detector
unit:
	.ci/deps redis browser
	$(GO) test -race -count=1 ./reference/... ./harness/...

## fuzz: each fuzz target of the reference for FUZZTIME (make unit runs
##   their seed corpora as plain tests). The default is a count of inputs,
##   not a duration: Go 1.26's fuzzer can fail a target with a bare
##   "context deadline exceeded" when a -fuzztime duration ends while a
##   worker is mid-input (go.dev/issue/75804, fixed in Go 1.27); a count
##   has no deadline to race. 50000x is 2-4s per target here.
FUZZTIME ?= 50000x
FUZZ_TARGETS := ./reference/session:FuzzSealedCookie \
                ./reference/session:FuzzServerToken \
                ./reference/session:FuzzDecodeRecord \
                ./reference/store:FuzzDecodeEnvelope
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz: $$name ($$pkg), -fuzztime=$(FUZZTIME)"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

## bench: wrk on loopback against the reference, file, Redis and Redis
##   Cluster (three local masters) stores side by side: req/s, p50, p99 of
##   the dashboard and the login; BENCHFLAGS='-duration 5s'
BENCHFLAGS ?=
bench: build
	.ci/deps bench redis
	$(GO) run ./reference/cmd/refbench -bin $(BIN)/refserver $(BENCHFLAGS)

## dist: the release directory and tarball for GOARCH (default: this
##   machine's; amd64 or arm64): dist/sessionconf-<version>-linux-<arch>/
##   with bin/sessionconf, bin/refserver, the compiled suites and the Ginkgo
##   CLI in libexec/sessionconf, the reference's manifests in examples/,
##   docs and VERSION. It runs with no Go and no checkout
##   (fixtures/release/README.md).
VERSION := $(shell sed -n 's/^const Version = "\(.*\)"$$/\1/p' harness/version/version.go)
GOARCH  ?= $(shell $(GO) env GOARCH)
DIST    := dist/sessionconf-$(VERSION)-linux-$(GOARCH)
dist:
	fixtures/release/dist.sh --arch $(GOARCH)

## dist-check: the tarball extracted into an empty directory outside the
##   checkout, run with a bare environment (no Go on PATH): version, list,
##   doctor, and the HTTP suite against the shipped reference
##   (DIST_CHECK_FLAGS="--filter 'PERSIST-1'" for a shorter run)
DIST_CHECK_FLAGS ?=
dist-check: dist
	.ci/deps redis image
	fixtures/release/check.sh $(DIST).tar.gz $(DIST_CHECK_FLAGS)

## install-check: `go install .../harness/cmd/sessionconf@v<version>` of
##   the committed tree (served by a file:// module proxy), run outside the
##   checkout: the installed binary compiles the suites from the module
##   cache. A fresh module cache: a minute or two.
install-check:
	.ci/deps redis
	fixtures/release/install-check.sh

## image: a container image of the release (Debian with chromium and
##   redis-server), built locally with debootstrap and docker import, no
##   registry: sessionconf:<version>. image-check runs the reference in it.
image: dist
	.ci/deps debootstrap
	fixtures/release/image.sh $(DIST)
image-check: image
	fixtures/release/image-check.sh sessionconf:$(VERSION)

## test: everything CI runs
test: unit fuzz check-spec conformance topologies container examples selftest dist-check

## redis-image: the offline Redis image from Debian's redis-server (no registry);
##   skipped when present, FORCE=1 rebuilds, SESSIONCONF_REDIS_IMAGE=tag renames
redis-image:
	.ci/deps image
	fixtures/redis-image/build.sh $(if $(FORCE),--force)

clean:
	rm -rf $(BIN) $(REPORTS) flask_session dist
