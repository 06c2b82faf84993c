# bench-overhead — build, set up a target server, benchmark, profile, report, test.
# `make help` lists every target and variable.

NO_CONNECTIONS ?= 100
ITERATIONS     ?= 10
PAYLOAD_SIZE   ?= 200
PORT           ?= 8000
BIND           ?= 127.0.0.1
CARGO          ?= cargo
PAYLOAD_DIR    ?= payloads
# ADDRESS (where the client connects) has no default here: scripts/lib.sh uses BIND, or the
# loopback address when BIND is a wildcard (0.0.0.0, ::).

# NO_CONNECTIONS is read by the client at build time (option_env!), as the old suite's -D flag was.
export NO_CONNECTIONS ITERATIONS PAYLOAD_SIZE PORT BIND ADDRESS

BIN      := target/release
CLIENT   := $(BIN)/bench-overhead
MEMMON   := $(BIN)/memmon

.PHONY: all build help setup-lighttpd payload lighttpd-start lighttpd-stop serve benchmark sweep \
        qemu-benchmark profile record-scheduling trace report compare bench-client bench-server bench-memmon bench-rr \
        test lint clean

all: build

## build: build bench-overhead and memmon in release mode (NO_CONNECTIONS=n sets the default connection count)
# Every setting the goals read is checked first (scripts/settings.sh): a bad one costs one line,
# before anything is built, written or started.
build:
	@sh scripts/settings.sh $(MAKECMDGOALS)
	$(CARGO) build --release --workspace

## help: list targets and variables
help:
	@echo "Targets:"
	@sed -n 's/^## /  /p' $(MAKEFILE_LIST)
	@echo
	@echo "Variables (current value):"
	@echo "  NO_CONNECTIONS=$(NO_CONNECTIONS)  concurrent connections per run, also built in as run's default"
	@echo "  ITERATIONS=$(ITERATIONS)          runs of each variant"
	@echo "  PAYLOAD_SIZE=$(PAYLOAD_SIZE)       payload size in MiB"
	@echo "  PORT=$(PORT) BIND=$(BIND)  where a started target server listens"
	@echo "  ADDRESS=$(ADDRESS)  where the client connects (empty: BIND, or 127.0.0.1/::1 when BIND is 0.0.0.0/::)"
	@echo "  SERVER=$(SERVER)  lighttpd|builtin: the server benchmark/profile/trace start (empty: lighttpd when installed)"
	@echo "  TIMEOUT=$(TIMEOUT) RUN_TIMEOUT=$(RUN_TIMEOUT)  client limits per wait (30s) and per run (10m)"
	@echo "  RESULTS=$(RESULTS)  results folder (empty: results/<hostname>-<UTC timestamp>)"
	@echo "  PROFILE_DIR=$(PROFILE_DIR)  output of profile/record-scheduling/trace (empty: results/<mode>-<host>-<time>)"
	@echo "  BIN_DIR=$(BIN_DIR)  where bench-overhead and memmon are (empty: target/release)"
	@echo "  CARGO=$(CARGO)  the cargo that builds and tests"
	@echo "  SCHEDULING_RECORDER=$(SCHEDULING_RECORDER)  Haiku's scheduling_recorder, for record-scheduling"
	@echo "  CONNECTIONS=$(CONNECTIONS)  connections per run, overriding NO_CONNECTIONS; a list (\"1 10 100\") sweeps"
	@echo "  SWEEP_MIB=$(SWEEP_MIB)  sweep: MiB each step moves in all (empty: 512)"
	@echo "  WORKLOADS=$(WORKLOADS)  benchmark: workloads in order (download keepalive churn upload; empty: download)"
	@echo "  DURATION WARMUP RATE THREADS: benchmark's keepalive/churn runs (--duration, --warmup, --rate) and event loops"
	@echo "  More, described in README.md: VARIANTS PAYLOAD_PATH PAYLOAD_DIR INTERVAL NETWORK META"
	@echo "  (bench-overhead.sh); PAIRS LIGHTTPD_PORT (bench-server); ROUNDS DURATION WRK_THREADS PAYLOAD MODELS (bench-client);"
	@echo "  CONNECTIONS ROUNDS DURATION RATE_DURATION WRK_THREADS MODELS (bench-rr)"
	@echo "  BENCH_SECONDS BENCH_MIB BENCH_THREADS (bench-memmon); QEMU_* (qemu-benchmark, setup/qemu/README.md)"

## setup-lighttpd: write setup/lighttpd.conf (PORT, BIND) and payloads/testpayload (PAYLOAD_SIZE MiB)
setup-lighttpd: payload
	@sh scripts/lighttpd.sh setup

## payload: write payloads/testpayload (PAYLOAD_SIZE MiB, deterministic) and payloads/hello
payload: build
	@sh scripts/payload.sh

## lighttpd-start: start lighttpd from setup/lighttpd.conf in the background
lighttpd-start:
	@sh scripts/lighttpd.sh start

## lighttpd-stop: stop the lighttpd started by lighttpd-start
lighttpd-stop:
	@sh scripts/lighttpd.sh stop

## serve: run the built-in server in the foreground on BIND:PORT, serving PAYLOAD_DIR (payloads/)
serve: payload
	$(CLIENT) serve --address $(BIND) --port $(PORT) --root $(PAYLOAD_DIR)

## benchmark: build, make the payload, start a server, run bench-overhead.sh, stop the server
benchmark: payload
	@sh scripts/benchmark.sh

## sweep: every variant at 1 to 10,000 connections (CONNECTIONS, SWEEP_MIB per step), limits checked per step
# Three iterations per step unless ITERATIONS is given (the benchmark's 10 is the Makefile's default).
sweep: build
	@ITERATIONS=$(if $(filter file,$(origin ITERATIONS)),3,$(ITERATIONS)) sh scripts/sweep.sh

## qemu-benchmark: the same benchmark from inside a QEMU guest (QEMU_KERNEL, QEMU_MEM)
qemu-benchmark: payload
	@sh scripts/qemu-benchmark.sh

## profile: run each variant under a profiler (Linux perf, Haiku profile)
profile: payload
	@sh scripts/profile.sh profile

## record-scheduling: record scheduling of each variant (Haiku scheduling_recorder, Linux perf sched)
record-scheduling: payload
	@sh scripts/profile.sh scheduling

## trace: strace -c -f each variant and print syscall counts beside the client's own counters
trace: payload
	@sh scripts/profile.sh trace

## report: compare every folder in results/ into results/report.md with charts
report: build
	@sh scripts/report.sh report

## compare: print the comparison tables (extended, with the published rows) of every run in results/
compare: build
	@sh scripts/report.sh compare

## bench-rr: keep-alive and churn req/s, latency and syscalls per request in every model vs wrk (and oha), PASS/FAIL per goal
bench-rr: build
	@sh scripts/bench-rr.sh

## bench-client: every model, the poll model as it was (plain), the floors of threaded, epoll and uring (scripts/floor.c; uring's with liburing) and wrk side by side: GiB/s, CPU s/GiB of the client and of lighttpd, syscalls/MiB, peak memory; PASS/FAIL per goal
bench-client: payload
	@sh scripts/bench-client.sh

## bench-server: the poll client against the built-in server and lighttpd, interleaved, as a ratio
bench-server: payload
	@sh scripts/bench-server.sh

## bench-memmon: memmon's own CPU and memory while it watches a busy child
bench-memmon: build
	@sh scripts/bench-memmon.sh

## test: run every test (needs lighttpd; .ci/run installs what the tests need)
test:
	@sh scripts/settings.sh $(MAKECMDGOALS)
	$(CARGO) build --release --workspace
	$(CARGO) test --release --workspace

## lint: rustfmt and clippy, warnings are errors; module imports without loops, cli only in main.rs; scripts/floor.c compiles cleanly (its uring loop where liburing's header is)
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	@CARGO="$(CARGO)" sh scripts/check-imports.sh
	cc -fsyntax-only -Wall -Wextra -Werror -pthread scripts/floor.c

## clean: remove build output and generated files (results/ is kept)
clean:
	$(CARGO) clean
	rm -f payloads/testpayload payloads/hello setup/lighttpd.conf setup/*.pid setup/*.log
