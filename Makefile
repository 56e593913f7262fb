# mod_swiftgate: the one entry point. `make run` serves the example site,
# `make test` runs every test.

SWIFT ?= swift
APXS ?= apxs
PYTHON ?= python3
CONFIG ?= release
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

MODULE_DIR := .build/module
MODULE := $(MODULE_DIR)/mod_swiftgate.so
MODULE_SOURCES := $(wildcard CModule/*.c)
MODULE_HEADERS := $(wildcard CModule/*.h) Sources/CSwiftGate/include/swiftgate.h
# Every C file clang-format checks.
C_SOURCES = CModule/*.c CModule/*.h CModule/supervise/*.c Sources/CSwiftGate/include/*.h \
	Sources/CSwiftGatePoller/*.c Sources/CSwiftGatePoller/include/*.h \
	Sources/CSwiftGateExecutor/*.c Sources/CSwiftGateExecutor/include/*.h
MODULE_CFLAGS := -Wc,-Wall -Wc,-Wextra -Wc,-Werror -Wc,-Wno-unused-parameter \
	-Wc,-Wno-missing-field-initializers -Wc,-std=gnu11 -Wc,-fvisibility=hidden

DEBIAN_PACKAGES := apache2 apache2-dev libapr1-dev libaprutil1-dev libsqlite3-dev
# postgresql: the PostgreSQL user-store tests start a private server; libpq5
# is the client library SwiftGateUsers loads for postgres:// URLs; systemd
# gives systemd-analyze, which checks the shipped units.
test: EXTRA_PACKAGES := clang-format nginx openssl postgresql libpq5 systemd
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all module swift deps test faults fuzz lint format run bench install clean docs test-adapters \
	adapter-hummingbird adapter-vapor

all: module swift

# Installs the Debian packages that are missing (apt-get needs root).
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES) $(EXTRA_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

# swiftgate-supervise: the daemon groups' supervision (the module's own
# sg_daemon*.c and what they use) run outside Apache, for `swiftgate serve
# --fastcgi ADDRESS --processes N`; sg_httpd_host.c stands in for the parts
# of httpd that code calls.
SUPERVISOR := $(MODULE_DIR)/swiftgate-supervise
SUPERVISOR_SOURCES := CModule/supervise/sg_supervise.c CModule/supervise/sg_httpd_host.c \
	$(addprefix CModule/,sg_daemon.c sg_daemon_handover.c sg_daemon_pool.c sg_daemon_process.c \
	sg_daemon_control.c sg_scoreboard.c sg_sockdiag.c sg_crash.c sg_group.c sg_options.c sg_library.c)
SUPERVISOR_CFLAGS = $(shell apr-1-config --cppflags --includes) -I$(shell $(APXS) -q INCLUDEDIR) \
	-O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -std=gnu11

$(SUPERVISOR): $(SUPERVISOR_SOURCES) $(MODULE_HEADERS) $(MODULE)
	$(CC) $(SUPERVISOR_CFLAGS) -ICModule -ISources/CSwiftGate/include -o $@ $(SUPERVISOR_SOURCES) \
		$(shell apr-1-config --link-ld) -ldl

module: $(MODULE) $(SUPERVISOR)

$(MODULE): $(MODULE_SOURCES) $(MODULE_HEADERS)
	rm -rf $(MODULE_DIR) && mkdir -p $(MODULE_DIR)
	cp CModule/*.c CModule/*.h $(MODULE_DIR)/
	cd $(MODULE_DIR) && $(APXS) -c $(MODULE_CFLAGS) -I$(CURDIR)/Sources/CSwiftGate/include \
		-o mod_swiftgate.so $(notdir $(MODULE_SOURCES)) >build.log 2>&1 \
		|| { cat build.log; exit 1; }
	cp $(MODULE_DIR)/.libs/mod_swiftgate.so $@

# The example site, the daemon host and the command line.
swift:
	$(SWIFT) build -c $(CONFIG) --product ExampleSite
	$(SWIFT) build -c $(CONFIG) --product SwiftGateDaemon
	$(SWIFT) build -c $(CONFIG) --product swiftgate

run: deps all
	scripts/run-example $(MODULE) .build/$(CONFIG)

# Tests use a debug build: one build serves the unit tests and the
# libraries the real-Apache tests load.
test: deps lint module
	@$(PYTHON) -c "import pytest" 2>/dev/null || $(PYTHON) -m pip install -q pytest
	@$(PYTHON) -c "import prometheus_client" 2>/dev/null || $(PYTHON) -m pip install -q prometheus_client
	$(SWIFT) build --product ExampleSite
	$(SWIFT) build --product SwiftGateTestApp
	$(SWIFT) build --product SwiftGateDaemon
	$(SWIFT) build --product swiftgate
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	SWIFTGATE_MODULE=$(CURDIR)/$(MODULE) SWIFTGATE_LIBS=$(CURDIR)/.build/debug \
		$(PYTHON) -m pytest -q Tests/integration

# The framework adapters (Adapters/) and their examples (examples/): packages
# of their own that depend on this one by path, so the core never builds
# swift-nio, Hummingbird or Vapor. Each framework builds once (a first build
# takes minutes) into its adapter's .build, which its example shares; the
# unit tests, the real-Apache tests (Tests/adapters) and `make faults` use
# that one build.
HUMMINGBIRD_BUILD := Adapters/SwiftGateHummingbird/.build
VAPOR_BUILD := Adapters/SwiftGateVapor/.build
ADAPTER_LIBS := SWIFTGATE_HUMMINGBIRD_LIBS=$(CURDIR)/$(HUMMINGBIRD_BUILD)/debug \
	SWIFTGATE_VAPOR_LIBS=$(CURDIR)/$(VAPOR_BUILD)/debug

adapter-hummingbird:
	cd Adapters/SwiftGateHummingbird && $(SWIFT) build --build-tests
	$(SWIFT) build --package-path examples/hummingbird-todos --scratch-path $(HUMMINGBIRD_BUILD)

adapter-vapor:
	cd Adapters/SwiftGateVapor && $(SWIFT) build --build-tests
	$(SWIFT) build --package-path examples/vapor-todos --scratch-path $(VAPOR_BUILD)

test-adapters: deps module
	@$(PYTHON) -c "import pytest" 2>/dev/null || $(PYTHON) -m pip install -q pytest
	$(SWIFT) build --product SwiftGateDaemon
	$(MAKE) adapter-hummingbird adapter-vapor
	cd Adapters/SwiftGateHummingbird && $(SWIFT) test --skip-build
	cd Adapters/SwiftGateVapor && $(SWIFT) test --skip-build
	SWIFTGATE_MODULE=$(CURDIR)/$(MODULE) SWIFTGATE_LIBS=$(CURDIR)/.build/debug $(ADAPTER_LIBS) \
		$(PYTHON) -m pytest -q Tests/adapters

# Faults under load (issue #7), each against a real Apache with a daemon
# group: kill -9 (and a POST in flight), graceful restarts,
# maximum-requests, a hanging request, an application crashing at start, an
# unreachable socket, an abandoned upload; graceful restarts and recycling
# of a Hummingbird group (the adapter's test application, built here when
# missing); and one site on three backend hosts (network namespaces made by
# the test, ip from iproute2) behind Apache's balancer, nginx and HAProxy in
# turn (test_scale_out.py; the user store in one PostgreSQL server the
# test starts). Prints what each case measured; about 5 minutes after the
# builds. ss (iproute2) pairs daemon connections with Apache's ends.
faults: EXTRA_PACKAGES := iproute2 nginx haproxy postgresql libpq5
faults: deps module
	@$(PYTHON) -c "import pytest" 2>/dev/null || $(PYTHON) -m pip install -q pytest
	$(SWIFT) build --product ExampleSite
	$(SWIFT) build --product SwiftGateTestApp
	$(SWIFT) build --product SwiftGateDaemon
	$(SWIFT) build --product swiftgate
	cd Adapters/SwiftGateHummingbird && $(SWIFT) build --product SwiftGateHummingbirdTestApp
	SWIFTGATE_MODULE=$(CURDIR)/$(MODULE) SWIFTGATE_LIBS=$(CURDIR)/.build/debug $(ADAPTER_LIBS) \
		$(PYTHON) -m pytest -s -q -rx Tests/faults

# libFuzzer targets (Tests/fuzz): the C module's FastCGI and field parsing,
# the Swift FastCGI codec (SwiftGateFastCGI), stored password hashes. Each
# runs FUZZ_SECONDS (60), or FUZZ_RUNS inputs when set, on a scratch copy of
# its seed corpus; any crash fails. Not part of make test.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz

# Benchmarks against the peers, one Apache, one run (not part of make test).
# BENCH_QUICK=1 runs in under two minutes.
bench: EXTRA_PACKAGES := wrk apache2-utils libapache2-mod-wsgi-py3
bench: deps all
	bench/run

# Both languages' formatters, as checked in (.clang-format, .swift-format).
SWIFT_SOURCES = Sources Tests Package.swift Adapters/*/Package.swift Adapters/*/Sources Adapters/*/Tests \
	examples/*/Package.swift examples/*/Sources

lint:
	$(SWIFT) format lint --strict -r $(SWIFT_SOURCES)
	@if command -v clang-format >/dev/null; then \
		clang-format --dry-run -Werror $(C_SOURCES); \
	else echo "clang-format not installed: C formatting not checked"; fi

format:
	$(SWIFT) format -i -r $(SWIFT_SOURCES)
	clang-format -i $(C_SOURCES)

install: all
	$(APXS) -i -n swiftgate $(MODULE)
	install -m 755 .build/$(CONFIG)/libSwiftGateDaemon.so $(SUPERVISOR) $(DESTDIR)$(shell $(APXS) -q LIBEXECDIR)/
	install -m 755 .build/$(CONFIG)/swiftgate $(DESTDIR)/usr/local/bin/
	install -d $(DESTDIR)/usr/local/share/swiftgate
	install -m 644 apache/express.conf.in apache/swiftgate.env.example $(DESTDIR)/usr/local/share/swiftgate/
	install -d $(DESTDIR)/etc/systemd/system
	install -m 644 apache/swiftgate@.service apache/swiftgate@.socket $(DESTDIR)/etc/systemd/system/
	install -d $(DESTDIR)/etc/apache2/mods-available
	install -m 644 apache/swiftgate.load apache/swiftgate.conf $(DESTDIR)/etc/apache2/mods-available/
	@echo "Installed. Enable with: a2enmod swiftgate && systemctl reload apache2"

# The architecture page's diagram, from its checked-in source (Graphviz).
docs: docs/request-path.svg
docs/request-path.svg: docs/request-path.dot
	@command -v dot >/dev/null || { echo "make docs needs Graphviz: apt-get install graphviz"; exit 1; }
	dot -Tsvg $< -o $@

clean:
	rm -rf .build/module
	$(SWIFT) package clean
