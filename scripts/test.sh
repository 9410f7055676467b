#!/usr/bin/env bash
# Runs every OmenDB test on a Debian machine, as root, from a clean clone:
#   1. installs what is missing, builds and installs the extension;
#   2. C++ unit tests of the core (GoogleTest via CTest);
#   3. pg_regress suites (test/sql, test/expected) against a throwaway cluster;
#   4. scripted tests against real clusters (test/tap: recall, concurrency,
#      crash recovery, standby replay, vacuum), run as the postgres user.
#   5. a smoke run of the benchmark suite (bench/run.sh --smoke: tiny synthetic
#      data set on its own cluster, results checked by bench/check.pl).
# Every cluster it starts is stopped at the end, also on failure.
# Exits non-zero if anything failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$OMEN_ROOT"

install_deps gdb    # 008_unwritten_slot stops a backend at a breakpoint
build_install

log "C++ unit tests"
cmake -S test/unit -B build/unit -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/unit -j"$(nproc)" >/dev/null
(cd build/unit && ctest --output-on-failure)

TEST_DIR=$(mktemp -d /tmp/omendb-test.XXXXXX)
chmod 755 "$TEST_DIR"
trap 'stop_cluster "$TEST_DIR/regress"; rm -rf "$TEST_DIR"' EXIT

log "pg_regress suites"
start_cluster "$TEST_DIR/regress" 55432
if ! make -s installcheck PG_CONFIG="$PG_CONFIG"; then
	cat test/regression.diffs >&2 || true
	exit 1
fi
stop_cluster "$TEST_DIR/regress"

log "scripted tests against real clusters (TAP)"
TAP_DIR="$TEST_DIR/tap"
mkdir -p "$TAP_DIR"
cp -r test/tap "$TAP_DIR/t"
chown -R postgres:postgres "$TAP_DIR"
(cd "$TAP_DIR" && runuser -u postgres -- env \
	PATH="$PG_BIN:$PATH" \
	PERL5LIB="$($PG_CONFIG --pkglibdir)/pgxs/src/test/perl" \
	TESTDIR="$TAP_DIR" PG_REGRESS="$($PG_CONFIG --pkglibdir)/pgxs/src/test/regress/pg_regress" \
	prove --timer t/*.pl)

log "benchmark suite smoke run"
bash bench/run.sh --smoke --storages float4,half,int8

log "all tests passed"
